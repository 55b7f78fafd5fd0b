#include "gui/MainWindow.h"

#include "core/Session.h"
#include "core/Util.h"
#include "gui/AgentsEditor.h"
#include "gui/ConversationView.h"
#include "gui/FaqEditor.h"
#include "gui/SettingsEditor.h"
#include "gui/Style.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDockWidget>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QListView>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QSettings>
#include <QStatusBar>
#include <QSystemTrayIcon>
#include <QTableView>
#include <QToolBar>
#include <QToolButton>
#include <QUuid>
#include <QVBoxLayout>

namespace proto = parley::protocol;

namespace parley::console::gui {
namespace {

QTableView* makeTable(const QString& name) {
    auto* t = new QTableView;
    t->setObjectName(name);
    t->setSelectionBehavior(QAbstractItemView::SelectRows);
    t->setSelectionMode(QAbstractItemView::SingleSelection);
    t->setEditTriggers(QAbstractItemView::NoEditTriggers);
    t->verticalHeader()->hide();
    t->setShowGrid(false);
    t->setAlternatingRowColors(true);
    t->setWordWrap(false);
    t->horizontalHeader()->setHighlightSections(false);
    return t;
}

} // namespace

MainWindow::MainWindow(Session* session, QWidget* parent)
    : QMainWindow(parent)
    , m_session(session) {
    setObjectName(QStringLiteral("mainWindow"));
    setWindowIcon(appIcon());
    setDockOptions(QMainWindow::AnimatedDocks | QMainWindow::AllowNestedDocks |
                   QMainWindow::AllowTabbedDocks);

    m_banner =
        new QLabel(QStringLiteral("Connection lost \u2014 reconnecting\u2026 Messages sent meanwhile will "
                                  "appear as soon as the connection is back."));
    m_banner->setObjectName(QStringLiteral("connectionBanner"));
    m_banner->setWordWrap(true);
    m_banner->setStyleSheet(QStringLiteral("background: #fff4ce; color: #5c4400; border-bottom: 1px solid "
                                           "#e8d48a; padding: 6px 10px; font-weight: bold;"));
    m_banner->hide();

    m_conversation = new ConversationView(m_session);
    auto* central = new QWidget;
    auto* layout = new QVBoxLayout(central);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addWidget(m_banner);
    layout->addWidget(m_conversation, 1);
    setCentralWidget(central);

    buildDocks();
    buildActions();

    m_statusIdentity = new QLabel;
    m_statusIdentity->setObjectName(QStringLiteral("statusIdentity"));
    m_statusConnection = new QLabel;
    m_statusConnection->setObjectName(QStringLiteral("statusConnection"));
    statusBar()->addPermanentWidget(m_statusConnection);
    statusBar()->addPermanentWidget(m_statusIdentity);

    m_tray = new QSystemTrayIcon(appIcon(), this);
    m_tray->setToolTip(QStringLiteral("Parley Console"));
    connect(m_tray, &QSystemTrayIcon::activated, this, [this] {
        showNormal();
        raise();
        activateWindow();
    });
    connect(m_tray, &QSystemTrayIcon::messageClicked, this, [this] {
        showNormal();
        raise();
        activateWindow();
    });
    if (QSystemTrayIcon::isSystemTrayAvailable())
        m_tray->show();

    connect(m_session, &Session::signedIn, this, &MainWindow::onSignedIn);
    connect(m_session, &Session::meChanged, this, &MainWindow::onMeChanged);
    connect(m_session, &Session::connectionStateChanged, this, &MainWindow::onConnectionState);
    connect(m_session, &Session::operationFailed, this, &MainWindow::showError);
    connect(m_session, &Session::newAssignment, this, [this](const QString& id) {
        auto c = m_session->conversation(id);
        notify(
            QStringLiteral("New chat assigned"),
            c ? QStringLiteral("Customer %1 is waiting for your answer.").arg(shortId(c->customerSessionId))
              : QStringLiteral("A customer is waiting for your answer."));
        if (m_conversation->conversationId().isEmpty())
            showConversation(id);
    });
    connect(m_session, &Session::customerMessage, this, [this](const QString& id, const QString& text) {
        if (id == m_session->currentConversation() && isActiveWindow())
            return;
        auto c = m_session->conversation(id);
        notify(c ? QStringLiteral("Customer %1").arg(shortId(c->customerSessionId))
                 : QStringLiteral("Customer"),
               text.left(200));
    });
    connect(m_session, &Session::sessionExpired, this, [this] {
        statusBar()->showMessage(QStringLiteral("Your session has expired. Please sign in again."));
    });
    auto* mine = m_session->myConversations();
    connect(mine, &QAbstractItemModel::dataChanged, this, &MainWindow::updateTitle);
    connect(mine, &QAbstractItemModel::rowsInserted, this, &MainWindow::updateTitle);
    connect(mine, &QAbstractItemModel::rowsRemoved, this, &MainWindow::updateTitle);

    restoreLayout();
    onMeChanged();
    onConnectionState();
    updateTitle();
}

MainWindow::~MainWindow() = default;

void MainWindow::buildDocks() {
    m_mineView = new QListView;
    m_mineView->setObjectName(QStringLiteral("myConversationsView"));
    auto* mineProxy = makeMyConversationsProxy(this);
    mineProxy->setSourceModel(m_session->myConversations());
    m_mineView->setModel(mineProxy);
    m_mineView->setSpacing(2);
    m_mineView->setUniformItemSizes(false);
    m_mineView->setItemDelegate(new FitWidthDelegate(m_mineView));
    m_mineView->setTextElideMode(Qt::ElideRight);
    m_mineView->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_mineView->setResizeMode(QListView::Adjust); // re-lay out (and re-elide) when the dock is resized
    m_mineView->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_mineView->setSelectionMode(QAbstractItemView::SingleSelection);
    connect(m_mineView->selectionModel(), &QItemSelectionModel::currentChanged, this,
            [this](const QModelIndex& current) {
                if (current.isValid())
                    showConversation(current.data(MyConversationsModel::ConversationIdRole).toString());
            });

    m_queueView = makeTable(QStringLiteral("queueView"));
    m_queueView->setModel(m_session->queueModel());
    m_queueView->setToolTip(QStringLiteral("Customers waiting for an agent. Double-click to watch one."));
    m_queueView->horizontalHeader()->setSectionResizeMode(QueueModel::PositionColumn,
                                                          QHeaderView::ResizeToContents);
    m_queueView->horizontalHeader()->setSectionResizeMode(QueueModel::CustomerColumn, QHeaderView::Stretch);
    m_queueView->horizontalHeader()->setSectionResizeMode(QueueModel::WaitingColumn,
                                                          QHeaderView::ResizeToContents);
    connect(m_queueView, &QAbstractItemView::activated, this, [this](const QModelIndex& index) {
        showConversation(index.data(QueueModel::ConversationIdRole).toString());
    });

    m_teamView = makeTable(QStringLiteral("teamView"));
    auto* team = makeTeamProxy(this);
    team->setSourceModel(m_session->teamModel());
    m_teamView->setModel(team);
    m_teamView->horizontalHeader()->setSectionResizeMode(TeamModel::NameColumn, QHeaderView::Stretch);
    m_teamView->horizontalHeader()->setSectionResizeMode(TeamModel::PresenceColumn,
                                                         QHeaderView::ResizeToContents);
    m_teamView->horizontalHeader()->setSectionResizeMode(TeamModel::LoadColumn,
                                                         QHeaderView::ResizeToContents);

    auto dock = [this](const QString& title, const QString& name, QWidget* w, Qt::DockWidgetArea area) {
        auto* d = new QDockWidget(title, this);
        d->setObjectName(name); // saveState() keys on it
        d->setWidget(w);
        d->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable |
                       QDockWidget::DockWidgetClosable);
        addDockWidget(area, d);
        return d;
    };
    m_mineDock = dock(QStringLiteral("My conversations"), QStringLiteral("myConversationsDock"), m_mineView,
                      Qt::LeftDockWidgetArea);
    m_queueDock =
        dock(QStringLiteral("Queue"), QStringLiteral("queueDock"), m_queueView, Qt::LeftDockWidgetArea);
    m_teamDock =
        dock(QStringLiteral("Team"), QStringLiteral("teamDock"), m_teamView, Qt::RightDockWidgetArea);
    splitDockWidget(m_mineDock, m_queueDock, Qt::Vertical);
    resizeDocks({m_mineDock, m_teamDock}, {300, 260}, Qt::Horizontal);
    resizeDocks({m_mineDock, m_queueDock}, {420, 220}, Qt::Vertical);

    // Dock titles carry live counts.
    auto retitle = [this] {
        // The server sends queue changes to online agents only: offline, the list is a snapshot.
        const int waiting = m_session->queueModel()->rowCount();
        m_queueDock->setWindowTitle(
            m_session->me().presence == proto::Presence::Online
                ? QStringLiteral("Queue (%1)").arg(waiting)
                : QStringLiteral("Queue (%1, live when you are online)").arg(waiting));
        int online = 0;
        for (const auto& a : m_session->teamModel()->agents())
            online += a.presence == proto::Presence::Online ? 1 : 0;
        m_teamDock->setWindowTitle(
            QStringLiteral("Team (%1 of %2 online)").arg(online).arg(m_session->teamModel()->rowCount()));
    };
    for (QAbstractItemModel* m : {static_cast<QAbstractItemModel*>(m_session->queueModel()),
                                  static_cast<QAbstractItemModel*>(m_session->teamModel())}) {
        connect(m, &QAbstractItemModel::rowsInserted, this, retitle);
        connect(m, &QAbstractItemModel::rowsRemoved, this, retitle);
        connect(m, &QAbstractItemModel::modelReset, this, retitle);
    }
    connect(m_session, &Session::meChanged, this, retitle);
    retitle();
}

void MainWindow::buildActions() {
    auto* toolbar = addToolBar(QStringLiteral("Main"));
    toolbar->setObjectName(QStringLiteral("mainToolBar"));
    toolbar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    toolbar->setMovable(false);

    m_presenceAction = new QAction(QStringLiteral("Offline"), this);
    m_presenceAction->setObjectName(QStringLiteral("presenceAction"));
    m_presenceAction->setCheckable(true);
    m_presenceAction->setShortcut(QKeySequence(QStringLiteral("Ctrl+Shift+O")));
    m_presenceAction->setToolTip(
        QStringLiteral("Switch between online (receive chats) and offline (Ctrl+Shift+O)"));
    connect(m_presenceAction, &QAction::triggered, this, [this](bool online) {
        m_session->setPresence(online ? proto::Presence::Online : proto::Presence::Offline);
    });
    toolbar->addAction(m_presenceAction);
    if (auto* b = qobject_cast<QToolButton*>(toolbar->widgetForAction(m_presenceAction)))
        b->setObjectName(QStringLiteral("presenceButton"));
    toolbar->addSeparator();

    auto* watch = new QAction(QStringLiteral("&Watch conversation\u2026"), this);
    watch->setObjectName(QStringLiteral("watchAction"));
    watch->setShortcut(QKeySequence::Open);
    watch->setToolTip(QStringLiteral("Open any conversation read-only by its id"));
    connect(watch, &QAction::triggered, this, &MainWindow::watchById);

    auto* refresh = new QAction(QStringLiteral("&Refresh"), this);
    refresh->setShortcut(QKeySequence::Refresh);
    connect(refresh, &QAction::triggered, m_session, &Session::refresh);

    m_closeChatAction = new QAction(QStringLiteral("&Close chat\u2026"), this);
    m_closeChatAction->setObjectName(QStringLiteral("closeChatAction"));
    m_closeChatAction->setShortcut(QKeySequence(QStringLiteral("Ctrl+Shift+W")));
    connect(m_closeChatAction, &QAction::triggered, m_conversation, &ConversationView::requestClose);

    auto* next = new QAction(QStringLiteral("&Next chat"), this);
    next->setShortcut(QKeySequence(QStringLiteral("Ctrl+PgDown")));
    connect(next, &QAction::triggered, this, [this] { selectRelative(1); });
    auto* prev = new QAction(QStringLiteral("&Previous chat"), this);
    prev->setShortcut(QKeySequence(QStringLiteral("Ctrl+PgUp")));
    connect(prev, &QAction::triggered, this, [this] { selectRelative(-1); });
    auto* compose = new QAction(QStringLiteral("&Write a reply"), this);
    compose->setShortcut(QKeySequence(QStringLiteral("Ctrl+L")));
    connect(compose, &QAction::triggered, m_conversation, &ConversationView::focusComposer);

    auto* signOut = new QAction(QStringLiteral("Sign &out"), this);
    signOut->setObjectName(QStringLiteral("signOutAction"));
    connect(signOut, &QAction::triggered, this, &MainWindow::signOutRequested);
    auto* quit = new QAction(QStringLiteral("&Quit"), this);
    quit->setShortcut(QKeySequence::Quit);
    quit->setMenuRole(QAction::QuitRole);
    connect(quit, &QAction::triggered, this, &QWidget::close);

    toolbar->addAction(watch);
    toolbar->addAction(refresh);

    auto* file = menuBar()->addMenu(QStringLiteral("&File"));
    file->addAction(watch);
    file->addAction(refresh);
    file->addSeparator();
    file->addAction(signOut);
    file->addAction(quit);

    auto* chat = menuBar()->addMenu(QStringLiteral("&Chat"));
    chat->addAction(m_presenceAction);
    chat->addSeparator();
    chat->addAction(compose);
    chat->addAction(next);
    chat->addAction(prev);
    chat->addSeparator();
    chat->addAction(m_closeChatAction);

    auto* view = menuBar()->addMenu(QStringLiteral("&View"));
    const std::pair<QDockWidget*, const char*> docks[] = {
        {m_mineDock, "Ctrl+1"}, {m_queueDock, "Ctrl+2"}, {m_teamDock, "Ctrl+3"}};
    for (const auto& [dock, key] : docks) {
        QAction* toggle = dock->toggleViewAction();
        toggle->setShortcut(QKeySequence(QString::fromLatin1(key)));
        view->addAction(toggle);
        QWidget* w = dock->widget();
        connect(toggle, &QAction::triggered, w, [w](bool on) {
            if (on)
                w->setFocus();
        });
    }

    m_adminMenu = menuBar()->addMenu(QStringLiteral("&Administration"));
    m_adminMenu->setObjectName(QStringLiteral("adminMenu"));
    m_faqAction = m_adminMenu->addAction(QStringLiteral("&FAQ\u2026"), this, [this] { openFaqEditor(); });
    m_faqAction->setObjectName(QStringLiteral("faqEditorAction"));
    m_faqAction->setShortcut(QKeySequence(QStringLiteral("Ctrl+Shift+F")));
    m_agentsAction =
        m_adminMenu->addAction(QStringLiteral("&Agents\u2026"), this, [this] { openAgentsEditor(); });
    m_agentsAction->setObjectName(QStringLiteral("agentsEditorAction"));
    m_agentsAction->setShortcut(QKeySequence(QStringLiteral("Ctrl+Shift+A")));
    m_settingsAction =
        m_adminMenu->addAction(QStringLiteral("&Bot settings\u2026"), this, [this] { openSettingsEditor(); });
    m_settingsAction->setObjectName(QStringLiteral("settingsEditorAction"));
    m_adminMenu->menuAction()->setVisible(false);
    m_faqAction->setEnabled(false);
    m_settingsAction->setEnabled(false);
    m_agentsAction->setEnabled(false);

    auto* help = menuBar()->addMenu(QStringLiteral("&Help"));
    help->addAction(QStringLiteral("&About Parley Console"), this, [this] {
        QMessageBox::about(
            this, QStringLiteral("About Parley Console"),
            QStringLiteral("<b>Parley Console %1</b><p>The agent console of Parley, the open-source "
                           "customer-support chat.</p>")
                .arg(QStringLiteral(PARLEY_VERSION)));
    });
}

void MainWindow::onSignedIn() {
    const bool admin = m_session->isAdmin();
    m_adminMenu->menuAction()->setVisible(admin);
    m_faqAction->setEnabled(admin);
    m_agentsAction->setEnabled(admin);
    m_settingsAction->setEnabled(admin);
    m_conversation->setConversation({});
    onMeChanged();
    updateTitle();
}

void MainWindow::onMeChanged() {
    const auto& me = m_session->me();
    const bool online = me.presence == proto::Presence::Online;
    m_presenceAction->setChecked(online);
    m_presenceAction->setText(online ? QStringLiteral("Online") : QStringLiteral("Offline"));
    m_presenceAction->setIcon(presenceIcon(online));
    m_presenceAction->setEnabled(m_session->isSignedIn());
    if (m_session->isSignedIn()) {
        m_statusIdentity->setText(
            QStringLiteral("%1 (%2) \u00b7 %3 \u00b7 %4 / %5 chats")
                .arg(qs(me.displayName), qsv(proto::toString(me.role)), m_session->serverUrl().host())
                .arg(me.activeChats)
                .arg(me.maxActiveChats));
    } else {
        m_statusIdentity->setText(QStringLiteral("Not signed in"));
    }
    updateTitle();
}

void MainWindow::onConnectionState() {
    using State = RealtimeClient::State;
    const State s = m_session->realtime()->state();
    m_banner->setVisible(m_session->isSignedIn() && s == State::Reconnecting);
    switch (s) {
    case State::Connected:
        m_statusConnection->setText(QStringLiteral("\u25cf Live"));
        m_statusConnection->setStyleSheet(QStringLiteral("color: #1e8a44;"));
        break;
    case State::Connecting:
        m_statusConnection->setText(QStringLiteral("\u25cb Connecting\u2026"));
        m_statusConnection->setStyleSheet(QStringLiteral("color: #8a6d00;"));
        break;
    case State::Reconnecting:
        m_statusConnection->setText(QStringLiteral("\u25cb Reconnecting\u2026"));
        m_statusConnection->setStyleSheet(QStringLiteral("color: #b3261e;"));
        break;
    case State::Disconnected:
        m_statusConnection->setText(QStringLiteral("\u25cb Not connected"));
        m_statusConnection->setStyleSheet(QStringLiteral("color: #6b747d;"));
        break;
    }
}

void MainWindow::showConversation(const QString& id) {
    if (id.isEmpty())
        return;
    m_session->setCurrentConversation(id);
    if (m_conversation->conversationId() != id)
        m_conversation->setConversation(id);
    // Keep the list selection in step without re-entering through currentChanged.
    const int row = m_session->myConversations()->rowOf(id);
    QSignalBlocker block(m_mineView->selectionModel());
    if (row >= 0)
        m_mineView->setCurrentIndex(m_mineView->model()->index(row, 0));
    else
        // Not only the selection: a current row left behind would swallow the next click on it
        // (no currentChanged), so the agent could not get back to that chat from a watched one.
        m_mineView->selectionModel()->clear();
    m_mineView->viewport()->update();
    updateTitle();
}

void MainWindow::selectRelative(int delta) {
    const int n = m_session->myConversations()->rowCount();
    if (n == 0)
        return;
    int row = m_session->myConversations()->rowOf(m_conversation->conversationId());
    row = row < 0 ? 0 : (row + delta + n) % n;
    showConversation(qs(m_session->myConversations()->at(row).id));
}

void MainWindow::watchById() {
    bool ok = false;
    const QString id = QInputDialog::getText(this, QStringLiteral("Watch conversation"),
                                             QStringLiteral("Conversation id:"), QLineEdit::Normal, {}, &ok)
                           .trimmed();
    if (!ok || id.isEmpty())
        return;
    if (QUuid::fromString(id).isNull()) {
        statusBar()->showMessage(QStringLiteral("\u201c%1\u201d is not a conversation id.").arg(id), 8000);
        return;
    }
    showConversation(id);
}

void MainWindow::updateTitle() {
    const int unread = m_session->myConversations()->totalUnread();
    QString title = QStringLiteral("Parley Console");
    if (m_session->isSignedIn())
        title += QStringLiteral(" \u2014 ") + qs(m_session->me().displayName);
    if (unread > 0)
        title = QStringLiteral("(%1) ").arg(unread) + title;
    setWindowTitle(title);
    m_tray->setToolTip(unread > 0 ? QStringLiteral("Parley Console: %1 unread").arg(unread)
                                  : QStringLiteral("Parley Console"));
    m_mineDock->setWindowTitle(unread > 0 ? QStringLiteral("My conversations (%1 unread)").arg(unread)
                                          : QStringLiteral("My conversations"));
}

void MainWindow::notify(const QString& title, const QString& text) {
    m_lastNotification = title + QStringLiteral(": ") + text;
    ++m_notifications;
    if (m_tray->isVisible() && QSystemTrayIcon::supportsMessages())
        m_tray->showMessage(title, text, appIcon(), 6000);
    QApplication::alert(this);
    emit notified(title, text);
}

void MainWindow::showError(const QString& what, const ApiError& error) {
    statusBar()->showMessage(QStringLiteral("%1 failed: %2").arg(what, error.describe()), 10000);
}

FaqEditor* MainWindow::openFaqEditor() {
    if (!m_session->isAdmin())
        return nullptr;
    if (!m_faqEditor) {
        m_faqEditor = new FaqEditor(m_session, this);
        m_faqEditor->setAttribute(Qt::WA_DeleteOnClose);
    }
    m_faqEditor->show();
    m_faqEditor->raise();
    m_faqEditor->activateWindow();
    return m_faqEditor;
}

AgentsEditor* MainWindow::openAgentsEditor() {
    if (!m_session->isAdmin())
        return nullptr;
    if (!m_agentsEditor) {
        m_agentsEditor = new AgentsEditor(m_session, this);
        m_agentsEditor->setAttribute(Qt::WA_DeleteOnClose);
    }
    m_agentsEditor->show();
    m_agentsEditor->raise();
    m_agentsEditor->activateWindow();
    return m_agentsEditor;
}

SettingsEditor* MainWindow::openSettingsEditor() {
    if (!m_session->isAdmin())
        return nullptr;
    if (!m_settingsEditor) {
        m_settingsEditor = new SettingsEditor(m_session, this);
        m_settingsEditor->setAttribute(Qt::WA_DeleteOnClose);
    }
    m_settingsEditor->show();
    m_settingsEditor->raise();
    m_settingsEditor->activateWindow();
    return m_settingsEditor;
}

void MainWindow::restoreLayout() {
    QSettings s;
    if (!restoreGeometry(s.value(QStringLiteral("mainWindow/geometry")).toByteArray()))
        resize(1280, 800);
    restoreState(s.value(QStringLiteral("mainWindow/state")).toByteArray());
}

void MainWindow::saveLayout() {
    QSettings s;
    s.setValue(QStringLiteral("mainWindow/geometry"), saveGeometry());
    s.setValue(QStringLiteral("mainWindow/state"), saveState());
}

void MainWindow::closeEvent(QCloseEvent* event) {
    saveLayout();
    event->accept();
    emit closed();
}

void MainWindow::changeEvent(QEvent* event) {
    // Coming back to the window counts as reading the chat in front.
    if (event->type() == QEvent::ActivationChange && isActiveWindow() &&
        !m_conversation->conversationId().isEmpty())
        m_session->setCurrentConversation(m_conversation->conversationId());
    QMainWindow::changeEvent(event);
}

} // namespace parley::console::gui
