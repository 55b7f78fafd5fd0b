#include "core/Shopper.h"

#include "core/Util.h"

#include <QCryptographicHash>

namespace parley::console {

QString shopperCode(const std::string& customerSessionId) {
    static constexpr char kAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    const QByteArray digest =
        QCryptographicHash::hash(QByteArray::fromStdString(customerSessionId), QCryptographicHash::Sha256);
    quint32 bits = (quint32(quint8(digest[0])) << 16) | (quint32(quint8(digest[1])) << 8) | quint8(digest[2]);
    QString code;
    for (int i = 0; i < 4; ++i) {
        code.prepend(QLatin1Char(kAlphabet[bits & 31]));
        bits >>= 5;
    }
    return code;
}

QString shopperLabel(const protocol::Conversation& c) {
    if (c.contact) {
        const QString name = qs(c.contact->name.value_or(std::string())).simplified();
        if (!name.isEmpty())
            return name;
        const QString email = qs(c.contact->email).trimmed();
        if (!email.isEmpty())
            return email;
    }
    return QStringLiteral("Shopper ") + shopperCode(c.customerSessionId);
}

QString shopperDetail(const protocol::Conversation& c) {
    const QString code = QStringLiteral("Shopper ") + shopperCode(c.customerSessionId);
    if (!c.contact)
        return code;
    const QString name = qs(c.contact->name.value_or(std::string())).simplified();
    const QString email = qs(c.contact->email).trimmed();
    QString who = name;
    if (!email.isEmpty())
        who = name.isEmpty() ? email : QStringLiteral("%1 <%2>").arg(name, email);
    return who.isEmpty() ? code : who + QStringLiteral(" \u00b7 ") + code;
}

QString pageLabel(const protocol::Conversation& c) {
    const QString title = qs(c.context.pageTitle.value_or(std::string())).simplified();
    if (!title.isEmpty())
        return title;
    const QUrl url(qs(c.context.pageUrl.value_or(std::string())));
    if (!url.isValid() || url.host().isEmpty())
        return {};
    QString text = url.host() + url.path();
    if (text.endsWith(QLatin1Char('/')))
        text.chop(1);
    return text;
}

QUrl pageUrl(const protocol::Conversation& c) {
    const QUrl url(qs(c.context.pageUrl.value_or(std::string())));
    if (!url.isValid() || (url.scheme() != QLatin1String("http") && url.scheme() != QLatin1String("https")))
        return {};
    return url;
}

} // namespace parley::console
