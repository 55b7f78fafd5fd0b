#pragma once
// How the console gets an agent's attention for a new chat or a shopper's message. Every channel
// at once, because none of them works everywhere: an in-app banner (always; the only visible one
// on a desktop without a tray, such as stock GNOME or Xvfb), a tray balloon where a tray exists, a
// short sound (switchable, the choice remembered), and the taskbar's urgency flag.

#include <QObject>
#include <QString>

class QSoundEffect;
class QSystemTrayIcon;
class QToolButton;
class QWidget;

namespace parley::console::gui {

class NoticeBar;

class Notifier : public QObject {
    Q_OBJECT
public:
    // The banner is made here and belongs to `window`'s layout (see banner()).
    explicit Notifier(QWidget* window);
    ~Notifier() override;

    NoticeBar* banner() const { return m_banner; }
    QSystemTrayIcon* tray() const { return m_tray; }
    bool hasTray() const;

    void notify(const QString& conversationId, const QString& title, const QString& text);
    // The agent looked at the chat the banner names: the banner goes.
    void seen(const QString& conversationId);
    void dismiss();

    bool soundEnabled() const { return m_soundEnabled; }
    void setSoundEnabled(bool on); // remembered (QSettings "notifications/sound")
    void setTrayToolTip(const QString& text);

    int count() const { return m_count; }
    int soundsPlayed() const { return m_sounds; } // sounds asked for (the sound may be switched off)
    QString last() const { return m_last; }
    QString bannerConversation() const { return m_bannerConversation; }

signals:
    void openRequested(const QString& conversationId);
    void notified(const QString& title, const QString& text);

private:
    void raiseWindow();

    QWidget* m_window;
    NoticeBar* m_banner;
    QToolButton* m_open;
    QSystemTrayIcon* m_tray;
    QSoundEffect* m_sound;
    bool m_soundEnabled = true;
    int m_count = 0;
    int m_sounds = 0;
    int m_unseenInBanner = 0;
    QString m_last;
    QString m_bannerConversation;
};

} // namespace parley::console::gui
