#pragma once
// How the app layer hands a mail to the outside world (issue 21, reply mail). The SMTP client
// lives at the edge (server/src/mail/, libcurl); the app has no network code, and tests put a fake
// here.

#include <stdexcept>
#include <string>

namespace parley::server {

struct OutgoingMail {
    std::string from;      // an address: name@example.com
    std::string fromName;  // a display name for From (may be empty)
    std::string to;        // an address
    std::string subject;   // UTF-8 text
    std::string body;      // UTF-8 plain text, lines ended by '\n'
    std::string messageId; // "<...@...>", stable across retries of the same mail
};

class MailTransport {
public:
    virtual ~MailTransport() = default;
    // Returns once the server has taken the mail; throws std::runtime_error with what went wrong
    // otherwise (refused, unreachable, timed out). Blocking: called from the mail thread only.
    virtual void send(const OutgoingMail& mail) = 0;
};

} // namespace parley::server
