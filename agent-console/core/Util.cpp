#include "core/Util.h"

namespace parley::console {

QDateTime parseTime(const std::string& rfc3339) {
    QDateTime t = QDateTime::fromString(qs(rfc3339), Qt::ISODateWithMs);
    if (!t.isValid())
        t = QDateTime::fromString(qs(rfc3339), Qt::ISODate);
    return t.toUTC();
}

QString formatDuration(qint64 seconds) {
    if (seconds < 0)
        seconds = 0;
    if (seconds < 60)
        return QStringLiteral("%1 s").arg(seconds);
    if (seconds < 3600)
        return QStringLiteral("%1 min").arg(seconds / 60);
    return QStringLiteral("%1 h %2 min")
        .arg(seconds / 3600)
        .arg((seconds % 3600) / 60, 2, 10, QLatin1Char('0'));
}

QString shortId(const std::string& id) {
    return qs(id.substr(0, 8));
}

} // namespace parley::console
