#include "core/Util.h"

#include <QRegularExpression>

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

std::vector<TextRun> linkRuns(const QString& text) {
    static const QRegularExpression re(
        QStringLiteral(R"((?:https?://|www\.)[^\s<>"]+|[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})"),
        QRegularExpression::CaseInsensitiveOption);
    std::vector<TextRun> runs;
    qsizetype at = 0;
    auto plain = [&](qsizetype end) {
        if (end > at)
            runs.push_back({text.mid(at, end - at), {}});
    };
    for (auto it = re.globalMatch(text); it.hasNext();) {
        const auto match = it.next();
        QString found = match.captured();
        // Sentence punctuation after a link is not part of it ("see https://x.example/a.").
        while (!found.isEmpty() && QStringLiteral(".,;:!?)]}'\"").contains(found.back()))
            found.chop(1);
        QUrl url;
        if (found.contains(QLatin1Char('@')) && !found.contains(QLatin1String("://")))
            url = QUrl(QStringLiteral("mailto:") + found);
        else if (found.startsWith(QLatin1String("www."), Qt::CaseInsensitive))
            url = QUrl(QStringLiteral("https://") + found);
        else
            url = QUrl(found);
        if (found.isEmpty() || !url.isValid())
            continue;
        plain(match.capturedStart());
        runs.push_back({found, url});
        at = match.capturedStart() + found.size();
    }
    plain(text.size());
    return runs;
}

} // namespace parley::console
