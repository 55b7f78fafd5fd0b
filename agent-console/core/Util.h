#pragma once
// Small conversions between the protocol library's std::string world and Qt's QString world.

#include <QDateTime>
#include <QString>
#include <QUrl>

#include <string>
#include <string_view>
#include <vector>

namespace parley::console {

inline QString qs(const std::string& s) {
    return QString::fromStdString(s);
}
inline QString qsv(std::string_view s) {
    return QString::fromUtf8(s.data(), qsizetype(s.size()));
}
inline std::string ss(const QString& s) {
    return s.toStdString();
}

// RFC 3339 UTC timestamp as it travels; invalid QDateTime when it does not parse.
QDateTime parseTime(const std::string& rfc3339);
// "45 s", "3 min", "1 h 05 min": short enough for a table cell.
QString formatDuration(qint64 seconds);
// The first characters of a UUID: enough for people to tell chats apart.
QString shortId(const std::string& id);

// A message's text cut into plain runs and links (http(s) URLs, www. addresses, e-mail
// addresses), so that a view can make the links clickable without interpreting anything else.
struct TextRun {
    QString text;
    QUrl link; // empty for plain text
};
std::vector<TextRun> linkRuns(const QString& text);

} // namespace parley::console
