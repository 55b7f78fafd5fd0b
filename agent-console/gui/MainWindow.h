#pragma once
// The agent's workplace: presence switch, my conversations, the queue, the conversation in front,
// the team and its chats; admin tools for admins. Everything is fed by the Session's models and
// events. Arrivals are announced through the Notifier (banner, tray, sound, taskbar flag).

#include <QMainWindow>
#include <QPointer>

class QAction;
class QDockWidget;
class QLabel;
class QListView;
class QMessageBox;
class QSortFilterProxyModel;
class QTableView;
class QToolButton;

namespace parley::console {
class Session;
struct ApiError;
} // namespace parley::console

namespace parley::console::gui {

class AgentsEditor;
class ConversationView;
class FaqEditor;
class AgentsEditor;
class SettingsEditor;
class SearchDialog; // issue 19
class NoticeBar;
class Notifier;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(Session* session, QWidget* parent = nullptr);
    ~MainWindow() override;

    ConversationView* conversationView() const { return m_conversation; }
    Notifier* notifier() const { return m_notifier; }
    // Brings a conversation to the front (watching it read-only when it is not mine).
    void showConversation(const QString& conversationId);
    QString lastNotification() const;
    int notificationCount() const;
    FaqEditor* openFaqEditor();
    AgentsEditor* openAgentsEditor();
    SettingsEditor* openSettingsEditor();
    // Opens the "Watch a conversation" picker (objectName "watchDialog").
    void watchConversation();
    // Issue 19: opens the search (objectName "searchDialog"; Ctrl+F).
    SearchDialog* openSearch();

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
    void notify(const QString& conversationId, const QString& title, const QString& text);
    void updateTitle();
    void updateTeamChatsLabel();
    // Shows the chats of one agent ("" : of everyone) below the team list.
    void filterTeamChats(const QString& agentId);
    void selectRelative(int delta);
    void showError(const QString& what, const ApiError& error);
    void restoreLayout();
    void saveLayout();
    // Quitting while online with chats: asks whether to go offline first (objectName "quitConfirmBox").
    void askBeforeQuitting(int openChats);
    void goOfflineThenQuit(bool askOnFailure);
    void quitNow();
    // The open editors whose forms hold edits not saved ("FAQ", "Settings"...).
    QStringList editorsWithUnsavedEdits();
    // Quitting would drop those edits: asks once for all of them (objectName "quitDiscardBox").
    void askToDiscardEditsBeforeQuitting(const QStringList& editors);

    Session* m_session;
    ConversationView* m_conversation;
    NoticeBar* m_banner;
    NoticeBar* m_awayBanner; // offline after an outage longer than the grace period
    Notifier* m_notifier;
    QListView* m_mineView;
    QTableView* m_queueView;
    QTableView* m_teamView;
    QTableView* m_teamChatsView;
    QSortFilterProxyModel* m_teamChatsProxy;
    QLabel* m_teamChatsLabel;
    QToolButton* m_teamChatsAll;
    QString m_teamChatsAgent; // whose chats the team view shows ("" : everyone's)
    QDockWidget* m_mineDock;
    QDockWidget* m_queueDock;
    QDockWidget* m_teamDock;
    QAction* m_presenceAction;
    QAction* m_closeChatAction;
    QAction* m_faqAction;
    QAction* m_agentsAction;
    QAction* m_soundAction;
    QMenu* m_adminMenu = nullptr;
    QLabel* m_statusIdentity;
    QLabel* m_statusConnection;
    QPointer<FaqEditor> m_faqEditor;
    QPointer<AgentsEditor> m_agentsEditor;
    QPointer<SettingsEditor> m_settingsEditor;
    QPointer<SearchDialog> m_search; // issue 19
    QAction* m_settingsAction;
    QPointer<QMessageBox> m_quitBox;
    QPointer<QMessageBox> m_quitDiscardBox;
    bool m_editsDiscarded = false; // the admin agreed to drop the editors' edits on this close
    bool m_quitting = false;       // the close is decided: the next closeEvent goes through
    bool m_leaving = false;        // going offline before quitting
};

} // namespace parley::console::gui
