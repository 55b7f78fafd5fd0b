#pragma once
// MailTransport over SMTP with libcurl (issue 21, reply mail): the one place Parley speaks SMTP.
// The URL says how: smtp://HOST:PORT upgrades to TLS with STARTTLS when the server offers it
// (and goes on in plain text when it does not), smtps://HOST:PORT is TLS from the first byte;
// smtp://USER:PASSWORD@HOST:PORT signs in (AUTH) with those credentials.

#include "app/MailTransport.h"

#include <chrono>
#include <string>

namespace parley::server {

struct SmtpOptions {
    std::string url; // --smtp
    std::chrono::seconds connectTimeout{10};
    std::chrono::seconds timeout{60}; // one whole send
};

class SmtpMailTransport final : public MailTransport {
public:
    // Throws std::invalid_argument when the URL is not smtp:// or smtps://.
    explicit SmtpMailTransport(SmtpOptions options);
    void send(const OutgoingMail& mail) override;

    // The RFC 5322 message as it goes on the wire (CRLF lines, base64 body, encoded words for
    // non-ASCII headers). Public for tests.
    static std::string render(const OutgoingMail& mail, std::chrono::system_clock::time_point date);

private:
    SmtpOptions m_options;
};

} // namespace parley::server
