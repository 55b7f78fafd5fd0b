#pragma once
// Helpers of the issue 19 "Agents at work" console suites: a shopper's realtime channel, the
// mainwindow every suite starts from, and screenshots into $PARLEY_TEST_ARTIFACTS.

#include <nlohmann/json.hpp>

#include <QApplication>
#include <QDir>
#include <QPalette>
#include <QTest>
#include <QUrl>
#include <QWebSocket>
#include <QWidget>

#include <string>
#include <vector>

namespace parley::test::console {

// Saves a picture of the widget for people to look at (build/test-artifacts under CTest).
inline bool saveScreenshot(QWidget* w, const QString& name) {
    const QString dir = qEnvironmentVariable("PARLEY_TEST_ARTIFACTS", QDir::tempPath());
    QDir().mkpath(dir);
    const QString file = dir + QLatin1Char('/') + name;
    if (!w->grab().save(file))
        return false;
    qInfo("screenshot: %s", qPrintable(file));
    return true;
}

// A dark desktop's palette (as tst_console_screenshots uses), to see that colours follow it.
inline QPalette darkPalette() {
    QPalette p;
    const QColor window(0x2d, 0x2f, 0x33), base(0x1f, 0x21, 0x24), text(0xe8, 0xea, 0xed);
    p.setColor(QPalette::Window, window);
    p.setColor(QPalette::WindowText, text);
    p.setColor(QPalette::Base, base);
    p.setColor(QPalette::AlternateBase, QColor(0x27, 0x29, 0x2d));
    p.setColor(QPalette::Text, text);
    p.setColor(QPalette::Button, QColor(0x36, 0x39, 0x3e));
    p.setColor(QPalette::ButtonText, text);
    p.setColor(QPalette::PlaceholderText, QColor(0x80, 0x84, 0x8a));
    p.setColor(QPalette::Highlight, QColor(0x3d, 0x7e, 0xe0));
    p.setColor(QPalette::HighlightedText, Qt::white);
    p.setColor(QPalette::Link, QColor(0x7c, 0xb0, 0xff));
    return p;
}

class CustomerSocket {
public:
    // Connects and waits for hello.ok; false when it did not come.
    bool open(const QUrl& wsUrl, const std::string& token) {
        QObject::connect(&m_socket, &QWebSocket::textMessageReceived, [this](const QString& text) {
            auto j = nlohmann::json::parse(text.toStdString(), nullptr, false);
            if (j.is_object())
                m_frames.push_back(std::move(j));
        });
        QObject::connect(&m_socket, &QWebSocket::connected, [this, token] {
            send({{"type", "hello"}, {"token", token}});
        });
        m_socket.open(wsUrl);
        return QTest::qWaitFor([this] { return count("hello.ok") > 0; }, 10000);
    }
    void send(const nlohmann::json& frame) { m_socket.sendTextMessage(QString::fromStdString(frame.dump())); }
    int count(const std::string& type) const {
        int n = 0;
        for (const auto& f : m_frames)
            n += f.value("type", "") == type;
        return n;
    }
    const std::vector<nlohmann::json>& frames() const { return m_frames; }

private:
    QWebSocket m_socket;
    std::vector<nlohmann::json> m_frames;
};

} // namespace parley::test::console
