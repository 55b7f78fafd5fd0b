#pragma once
// Makes bearer tokens the way the server does (base64url(JSON payload) "." base64url(HMAC-SHA256
// (secret, payload))), with the server's own secret read from its data dir or with another one:
// for the hostile-input suites, which need tokens that are well signed but expired, of an ended
// session, of an unknown kind, or signed with the wrong key. Link OpenSSL::Crypto.

#include <QFile>
#include <QProcess>
#include <QString>

#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <optional>
#include <string>
#include <string_view>

namespace parley::test {

class TokenForge {
public:
    explicit TokenForge(std::string secret)
        : m_secret(std::move(secret)) {}

    static TokenForge fromDataDir(const QString& dataDir) {
        QFile file(dataDir + QStringLiteral("/server.secret"));
        if (file.open(QIODevice::ReadOnly))
            return TokenForge(file.readAll().toStdString());
        // On the PostgreSQL store (the `pg` suites) the secret is in the database, base64url, whose
        // URL ServerLauncher left beside the data dir.
        QFile url(dataDir + QStringLiteral("/../database-url"));
        if (!url.open(QIODevice::ReadOnly))
            return TokenForge({});
        QProcess psql;
        psql.start(QStringLiteral("psql"),
                   {QStringLiteral("-Atqc"),
                    QStringLiteral("SELECT value FROM server_secrets WHERE name = 'token_secret'"),
                    QString::fromUtf8(url.readAll().trimmed())});
        if (!psql.waitForFinished(30000) || psql.exitCode() != 0)
            return TokenForge({});
        const auto secret =
            QByteArray::fromBase64(psql.readAllStandardOutput().trimmed(),
                                   QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
        return TokenForge(secret.toStdString());
    }
    bool valid() const { return !m_secret.empty(); }

    std::string sign(const nlohmann::json& payload) const { return signRaw(payload.dump()); }
    std::string signRaw(std::string_view payloadBytes) const {
        const auto payload = base64Url(payloadBytes);
        return payload + "." + mac(payload);
    }
    // The signature of a text as the server computes it over a token's first part.
    std::string mac(std::string_view signedPart) const {
        unsigned char out[EVP_MAX_MD_SIZE];
        unsigned int len = 0;
        HMAC(EVP_sha256(), m_secret.data(), static_cast<int>(m_secret.size()),
             reinterpret_cast<const unsigned char*>(signedPart.data()), signedPart.size(), out, &len);
        return base64Url(std::string_view(reinterpret_cast<const char*>(out), len));
    }

    static std::string base64Url(std::string_view bytes) {
        static constexpr char kAlphabet[] =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        std::string out;
        std::uint32_t buffer = 0;
        int bits = 0;
        for (unsigned char c : bytes) {
            buffer = (buffer << 8) | c;
            bits += 8;
            while (bits >= 6) {
                bits -= 6;
                out.push_back(kAlphabet[(buffer >> bits) & 0x3f]);
            }
        }
        if (bits > 0)
            out.push_back(kAlphabet[(buffer << (6 - bits)) & 0x3f]);
        return out;
    }

    // The JSON payload of a token, without checking anything.
    static std::optional<nlohmann::json> payloadOf(const std::string& token) {
        const auto dot = token.find('.');
        const auto part = token.substr(0, dot);
        std::string bytes;
        std::uint32_t buffer = 0;
        int bits = 0;
        for (char c : part) {
            int v = c >= 'A' && c <= 'Z'   ? c - 'A'
                    : c >= 'a' && c <= 'z' ? c - 'a' + 26
                    : c >= '0' && c <= '9' ? c - '0' + 52
                    : c == '-'             ? 62
                    : c == '_'             ? 63
                                           : -1;
            if (v < 0)
                return std::nullopt;
            buffer = (buffer << 6) | std::uint32_t(v);
            bits += 6;
            if (bits >= 8) {
                bits -= 8;
                bytes.push_back(char((buffer >> bits) & 0xff));
            }
        }
        auto j = nlohmann::json::parse(bytes, nullptr, false);
        if (j.is_discarded())
            return std::nullopt;
        return j;
    }

private:
    std::string m_secret;
};

} // namespace parley::test
