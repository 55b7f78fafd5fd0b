#include "gui/Notifier.h"

#include "gui/Style.h"

#include <QApplication>
#include <QLabel>
#include <QSettings>
#include <QSoundEffect>
#include <QSystemTrayIcon>
#include <QToolButton>

namespace parley::console::gui {

Notifier::Notifier(QWidget* window)
    : QObject(window)
    , m_window(window)
    , m_banner(new NoticeBar(theme::Tone::Accent))
    , m_open(new QToolButton)
    , m_tray(new QSystemTrayIcon(appIcon(), this))
    , m_sound(new QSoundEffect(this)) {
    m_banner->setObjectName(QStringLiteral("notificationBanner"));
    m_banner->label()->setObjectName(QStringLiteral("notificationText"));
    m_banner->label()->setTextFormat(Qt::PlainText);
    m_open->setObjectName(QStringLiteral("notificationOpenButton"));
    m_open->setText(QStringLiteral("Open"));
    m_open->setAutoRaise(false);
    auto* close = new QToolButton;
    close->setObjectName(QStringLiteral("notificationDismissButton"));
    close->setText(QStringLiteral("\u2715"));
    close->setToolTip(QStringLiteral("Dismiss"));
    close->setAutoRaise(true);
    m_banner->addWidget(m_open);
    m_banner->addWidget(close);
    m_banner->hide();
    connect(m_open, &QToolButton::clicked, this, [this] {
        const QString id = m_bannerConversation;
        dismiss();
        raiseWindow();
        if (!id.isEmpty())
            emit openRequested(id);
    });
    connect(close, &QToolButton::clicked, this, &Notifier::dismiss);

    m_tray->setToolTip(QStringLiteral("Parley Console"));
    connect(m_tray, &QSystemTrayIcon::activated, this, &Notifier::raiseWindow);
    connect(m_tray, &QSystemTrayIcon::messageClicked, this, [this] {
        raiseWindow();
        if (!m_bannerConversation.isEmpty())
            emit openRequested(m_bannerConversation);
    });
    if (QSystemTrayIcon::isSystemTrayAvailable())
        m_tray->show();

    m_sound->setSource(QUrl(QStringLiteral("qrc:/sounds/notify.wav")));
    m_sound->setVolume(0.7f);
    m_soundEnabled = QSettings().value(QStringLiteral("notifications/sound"), true).toBool();
}

Notifier::~Notifier() = default;

bool Notifier::hasTray() const {
    return m_tray->isVisible() && QSystemTrayIcon::isSystemTrayAvailable();
}

void Notifier::setSoundEnabled(bool on) {
    m_soundEnabled = on;
    QSettings().setValue(QStringLiteral("notifications/sound"), on);
}

void Notifier::setTrayToolTip(const QString& text) {
    m_tray->setToolTip(text);
}

void Notifier::raiseWindow() {
    m_window->showNormal();
    m_window->raise();
    m_window->activateWindow();
}

void Notifier::notify(const QString& conversationId, const QString& title, const QString& text) {
    ++m_count;
    m_last = title + QStringLiteral(": ") + text;
    // The banner shows the newest; it says when more came since the agent last looked.
    m_unseenInBanner = m_banner->isVisible() ? m_unseenInBanner + 1 : 0;
    m_bannerConversation = conversationId;
    QString line = title + QStringLiteral(" \u2014 ") + text.simplified();
    if (line.size() > 220)
        line = line.left(219) + QChar(0x2026);
    if (m_unseenInBanner > 0)
        line += QStringLiteral("  (+%1 more)").arg(m_unseenInBanner);
    m_banner->setText(line);
    m_open->setVisible(!conversationId.isEmpty());
    m_banner->show();
    if (hasTray() && QSystemTrayIcon::supportsMessages())
        m_tray->showMessage(title, text, appIcon(), 6000);
    if (m_soundEnabled) {
        ++m_sounds;
        m_sound->play();
    }
    QApplication::alert(m_window);
    emit notified(title, text);
}

void Notifier::seen(const QString& conversationId) {
    if (m_banner->isVisible() && conversationId == m_bannerConversation && m_unseenInBanner == 0)
        dismiss();
}

void Notifier::dismiss() {
    m_banner->hide();
    m_unseenInBanner = 0;
    m_bannerConversation.clear();
}

} // namespace parley::console::gui
