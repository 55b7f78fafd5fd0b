#include "mail/SmtpMailTransport.h"

#include <curl/curl.h>

#include <cstring>
#include <ctime>
#include <memory>
#include <mutex>
#include <stdexcept>

namespace parley::server {

namespace {

void initCurlOnce() {
    static std::once_flag once;
    std::call_once(once, [] {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
            throw std::runtime_error("libcurl could not be initialised");
    });
}

bool startsWith(const std::string& s, const char* prefix) {
    return s.rfind(prefix, 0) == 0;
}

std::string base64(const std::string& in) {
    static const char* table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((in.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        const unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                           (static_cast<unsigned char>(in[i + 1]) << 8) |
                           static_cast<unsigned char>(in[i + 2]);
        out += table[(v >> 18) & 63];
        out += table[(v >> 12) & 63];
        out += table[(v >> 6) & 63];
        out += table[v & 63];
    }
    if (i + 1 == in.size()) {
        const unsigned v = static_cast<unsigned char>(in[i]) << 16;
        out += table[(v >> 18) & 63];
        out += table[(v >> 12) & 63];
        out += "==";
    } else if (i + 2 == in.size()) {
        const unsigned v =
            (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
        out += table[(v >> 18) & 63];
        out += table[(v >> 12) & 63];
        out += table[(v >> 6) & 63];
        out += '=';
    }
    return out;
}

bool plainPrintableAscii(const std::string& s) {
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u > 0x7e)
            return false;
    }
    return true;
}

// A header value: as is when printable ASCII, else an RFC 2047 encoded word (UTF-8, base64).
// Control characters never reach a header line either way.
std::string headerText(const std::string& s) {
    if (plainPrintableAscii(s))
        return s;
    return "=?UTF-8?B?" + base64(s) + "?=";
}

// An address as it may stand in a header or the envelope: nothing that ends or breaks a line.
std::string cleanAddress(const std::string& a) {
    std::string out;
    for (char c : a)
        if (static_cast<unsigned char>(c) > 0x20 && c != '<' && c != '>' && c != 0x7f)
            out += c;
    return out;
}

std::string rfc5322Date(std::chrono::system_clock::time_point t) {
    const std::time_t secs = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    static const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
                  months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return buf;
}

struct Upload {
    const std::string* data;
    std::size_t offset = 0;
};

std::size_t readChunk(char* buffer, std::size_t size, std::size_t count, void* user) {
    auto* up = static_cast<Upload*>(user);
    const std::size_t n = std::min(size * count, up->data->size() - up->offset);
    std::memcpy(buffer, up->data->data() + up->offset, n);
    up->offset += n;
    return n;
}

} // namespace

SmtpMailTransport::SmtpMailTransport(SmtpOptions options)
    : m_options(std::move(options)) {
    if (!startsWith(m_options.url, "smtp://") && !startsWith(m_options.url, "smtps://"))
        throw std::invalid_argument("--smtp must be a URL smtp://HOST:PORT or smtps://HOST:PORT");
    initCurlOnce();
}

std::string SmtpMailTransport::render(const OutgoingMail& mail, std::chrono::system_clock::time_point date) {
    std::string m;
    const auto from = cleanAddress(mail.from);
    m += "From: " + (mail.fromName.empty() ? from : headerText(mail.fromName) + " <" + from + ">") + "\r\n";
    m += "To: <" + cleanAddress(mail.to) + ">\r\n";
    m += "Subject: " + headerText(mail.subject) + "\r\n";
    m += "Date: " + rfc5322Date(date) + "\r\n";
    m += "Message-ID: " + cleanAddress(mail.messageId) + "\r\n";
    m += "MIME-Version: 1.0\r\n";
    m += "Content-Type: text/plain; charset=utf-8\r\n";
    m += "Content-Transfer-Encoding: base64\r\n";
    m += "Auto-Submitted: auto-generated\r\n";
    m += "\r\n";
    // CRLF line ends in the text, then base64 in lines of 76: any UTF-8 and any line length pass.
    std::string text;
    for (char c : mail.body) {
        if (c == '\n')
            text += "\r\n";
        else if (c != '\r')
            text += c;
    }
    const auto encoded = base64(text);
    for (std::size_t i = 0; i < encoded.size(); i += 76)
        m += encoded.substr(i, 76) + "\r\n";
    return m;
}

void SmtpMailTransport::send(const OutgoingMail& mail) {
    const std::string message = render(mail, std::chrono::system_clock::now());
    std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), curl_easy_cleanup);
    if (!curl)
        throw std::runtime_error("libcurl: no handle");
    std::unique_ptr<curl_slist, void (*)(curl_slist*)> rcpt(
        curl_slist_append(nullptr, ("<" + cleanAddress(mail.to) + ">").c_str()), curl_slist_free_all);
    const std::string from = "<" + cleanAddress(mail.from) + ">";
    Upload upload{&message};
    char error[CURL_ERROR_SIZE] = {};
    CURL* c = curl.get();
    curl_easy_setopt(c, CURLOPT_URL, m_options.url.c_str());
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    if (startsWith(m_options.url, "smtp://"))
        curl_easy_setopt(c, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_TRY)); // STARTTLS when offered
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, from.c_str());
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt.get());
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, readChunk);
    curl_easy_setopt(c, CURLOPT_READDATA, &upload);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message.size()));
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, static_cast<long>(m_options.connectTimeout.count()));
    curl_easy_setopt(c, CURLOPT_TIMEOUT, static_cast<long>(m_options.timeout.count()));
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
    const CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK) {
        long code = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        std::string why = error[0] ? error : curl_easy_strerror(rc);
        if (code > 0)
            why += " (SMTP " + std::to_string(code) + ")";
        throw std::runtime_error("SMTP: " + why);
    }
}

} // namespace parley::server
