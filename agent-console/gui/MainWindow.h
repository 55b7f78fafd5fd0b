#pragma once
// The agent's workplace: presence switch, my conversations, the queue, the conversation in front,
// the team; admin tools for admins. Everything is fed by the Session's models and events.

#include <QMainWindow>
#include <QPointer>

class QAction;
class QDockWidget;
class QLabel;
class QListView;
class QSystemTrayIcon;
class QTableView;
class QToolButton;

namespace parley::console {
class Session;
struct ApiError;
} // namespace parley::console

namespace parley::console::gui {

class ConversationView;
class FaqEditor;
class AgentsEditor;
class SettingsEditor;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(Session* session, QWidget* parent = nullptr);
    ~MainWindow() override;

    ConversationView* conversationView() const { return m_conversation; }
    // Brings a conversation to the front (watching it read-only when it is not mine).
    void showConversation(const QString& conversationId);
    QString lastNotification() const { return m_lastNotification; }
    int notificationCount() const { return m_notifications; }
    FaqEditor* openFaqEditor();
    AgentsEditor* openAgentsEditor();
    SettingsEditor* openSettingsEditor();

signals:
    void notified(const QString& title, const QString& text);
    void closed();
    void signOutRequested();

protected:
    void closeEvent(QCloseEvent* event) override;
    void changeEvent(QEvent* event) override;

private:
    void buildActions();
    void buildDocks();
    void onMeChanged();
    void onConnectionState();
    void onSignedIn();
    void notify(const QString& title, const QString& text);
    void updateTitle();
    void watchById();
    void selectRelative(int delta);
    void showError(const QString& what, const ApiError& error);
    void restoreLayout();
    void saveLayout();

    Session* m_session;
    ConversationView* m_conversation;
    QLabel* m_banner;
    QListView* m_mineView;
    QTableView* m_queueView;
    QTableView* m_teamView;
    QDockWidget* m_mineDock;
    QDockWidget* m_queueDock;
    QDockWidget* m_teamDock;
    QAction* m_presenceAction;
    QAction* m_closeChatAction;
    QAction* m_faqAction;
    QAction* m_agentsAction;
    QMenu* m_adminMenu = nullptr;
    QLabel* m_statusIdentity;
    QLabel* m_statusConnection;
    QSystemTrayIcon* m_tray;
    QString m_lastNotification;
    int m_notifications = 0;
    QPointer<FaqEditor> m_faqEditor;
    QPointer<AgentsEditor> m_agentsEditor;
    QPointer<SettingsEditor> m_settingsEditor;
    QAction* m_settingsAction;
};

} // namespace parley::console::gui
