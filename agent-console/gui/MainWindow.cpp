#include "gui/MainWindow.h"

#include "core/Outbox.h"
#include "core/Session.h"
#include "core/Shopper.h"
#include "core/Util.h"
#include "gui/AgentsEditor.h"
#include "gui/CannedEditor.h" // issue 19: canned-reply editor
#include "gui/ConfirmBox.h"
#include "gui/ConversationView.h"
#include "gui/FaqEditor.h"
#include "gui/Notifier.h"
#include "gui/ReportsView.h"
#include "gui/SearchDialog.h" // issue 19
#include "gui/SettingsEditor.h"
#include "gui/Style.h"
#include "gui/WatchDialog.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDockWidget>
#include <QHeaderView>
#include <QLabel>
#include <QListView>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QStatusBar>
#include <QSystemTrayIcon>
#include <QTableView>
#include <QTimer>
#include <QToolBar>
#include <QToolButton>
#include <QVBoxLayout>

#include <utility>

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
    t->setTextElideMode(Qt::ElideRight);
    t->horizontalHeader()->setHighlightSections(false);
    t->horizontalHeader()->setMinimumSectionSize(24);
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

    m_banner = new NoticeBar(theme::Tone::Warning);
    m_banner->setObjectName(QStringLiteral("connectionBanner"));
    // No promise that replies go out: away longer than the server's grace period, the chats go
    // back to the queue and replies to them are refused.
    m_banner->setText(QStringLiteral(
        "Connection lost \u2014 reconnecting\u2026 Replies you write meanwhile wait here and go out "
        "when the connection is back, if the chat is still yours: after about a minute away (the "
        "server's grace period) your chats go back to the queue and you are set offline."));
    m_banner->hide();
    m_awayBanner = new NoticeBar(theme::Tone::Error);
    m_awayBanner->setObjectName(QStringLiteral("awayBanner"));
    auto* goOnline = new QPushButton(QStringLiteral("Go online"));
    goOnline->setObjectName(QStringLiteral("awayGoOnlineButton"));
    connect(goOnline, &QPushButton::clicked, this,
            [this] { m_session->setPresence(proto::Presence::Online); });
    m_awayBanner->addWidget(goOnline);
    m_awayBanner->hide();
    connect(m_session, &Session::wentOfflineWhileAway, this, [this](int seconds) {
        const QString text =
            QStringLiteral("You were offline for %1 s, longer than the server waits (its grace period): "
                           "your chats went back to the queue, and you are offline. Go online to "
                           "receive chats again.")
                .arg(seconds);
        m_awayBanner->setText(text);
        m_awayBanner->show();
        statusBar()->showMessage(QStringLiteral("Offline after the connection was lost"), 30000);
        notify({}, QStringLiteral("You are offline"),
               QStringLiteral("The connection was lost for %1 s: your chats went back to the queue.")
                   .arg(seconds));
    });
    connect(m_session, &Session::signedOut, m_awayBanner, &QWidget::hide);
    m_notifier = new Notifier(this);
    connect(m_notifier, &Notifier::openRequested, this, &MainWindow::showConversation);
    connect(m_notifier, &Notifier::notified, this, &MainWindow::notified);

    m_conversation = new ConversationView(m_session);
    auto* central = new QWidget;
    auto* layout = new QVBoxLayout(central);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addWidget(m_banner);
    layout->addWidget(m_awayBanner);
    layout->addWidget(m_notifier->banner());
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
    followPalette(m_statusConnection, [this] { onConnectionState(); });

    connect(m_session, &Session::signedIn, this, &MainWindow::onSignedIn);
    connect(m_session, &Session::meChanged, this, &MainWindow::onMeChanged);
    connect(m_session, &Session::connectionStateChanged, this, &MainWindow::onConnectionState);
    connect(m_session, &Session::operationFailed, this, &MainWindow::showError);
    connect(m_session, &Session::newAssignment, this, [this](const QString& id) {
        auto c = m_session->conversation(id);
        QString text = c ? QStringLiteral("%1 is waiting for your answer").arg(shopperLabel(*c))
                         : QStringLiteral("A shopper is waiting for your answer");
        if (c && !pageLabel(*c).isEmpty())
            text += QStringLiteral(" (on %1)").arg(pageLabel(*c));
        // Brought to the front when nothing else is, and announced all the same (the agent may
        // be looking elsewhere): the banner stays until the agent acts on it.
        if (m_conversation->conversationId().isEmpty())
            showConversation(id);
        notify(id, QStringLiteral("New chat assigned"), text + QLatin1Char('.'));
    });
    connect(m_session, &Session::customerMessage, this, [this](const QString& id, const QString& text) {
        if (id == m_session->currentConversation() && isActiveWindow())
            return; // the agent is looking at it
        auto c = m_session->conversation(id);
        notify(id, c ? shopperLabel(*c) : QStringLiteral("Shopper"), text.left(200));
    });
    // The admin windows (the reports too: admin data) and the search belong to the agent who
    // opened them: the next one to sign in (perhaps not an admin) must not find them open with the
    // previous data.
    connect(m_session, &Session::signedOut, this, [this] {
        const QList<QPointer<QWidget>> windows = {m_faqEditor.data(),
                                                  m_agentsEditor.data(),
                                                  m_settingsEditor.data(),
                                                  m_search.data(),
                                                  findChild<CannedEditor*>(QStringLiteral("cannedEditor")),
                                                  findChild<ReportsView*>(QStringLiteral("reportsView"))};
        for (const auto& window : windows)
            if (window) {
                window->hide(); // not close(): nothing to ask, the agent chose to sign out
                window->deleteLater();
            }
    });
    // A reply refused for good (403: the chat is no longer mine; 409: closed, e.g. by the idle
    // auto-close) in a chat not in front: told, or the agent believes the shopper has it.
    connect(m_session, &Session::sendFailed, this,
            [this](const QString& id, const QString& text, const ApiError& error) {
                if (id == m_session->currentConversation() && isActiveWindow())
                    return; // the failed bubble in the transcript says it
                auto c = m_session->conversation(id);
                QString what = text.simplified();
                if (what.size() > 80)
                    what = what.left(79) + QChar(0x2026);
                notify(id,
                       QStringLiteral("Reply not sent to %1")
                           .arg(c ? shopperLabel(*c) : QStringLiteral("a shopper")),
                       QStringLiteral("\u201c%1\u201d: %2").arg(what, error.describe()));
            });
    connect(m_session, &Session::sessionExpired, this, [this] {
        statusBar()->showMessage(QStringLiteral("Your session has expired. Please sign in again."));
    });
    auto* mine = m_session->myConversations();
    connect(mine, &QAbstractItemModel::dataChanged, this, &MainWindow::updateTitle);
    connect(mine, &QAbstractItemModel::rowsInserted, this, &MainWindow::updateTitle);
    connect(mine, &QAbstractItemModel::rowsRemoved, this, &MainWindow::updateTitle);
    connect(mine, &QAbstractItemModel::modelReset, this, &MainWindow::updateTitle);

    restoreLayout();
    onMeChanged();
    onConnectionState();
    updateTitle();
}

MainWindow::~MainWindow() = default;

QString MainWindow::lastNotification() const {
    return m_notifier->last();
}

int MainWindow::notificationCount() const {
    return m_notifier->count();
}

void MainWindow::buildDocks() {
    m_mineView = new QListView;
    m_mineView->setObjectName(QStringLiteral("myConversationsView"));
    auto* mineProxy = makeMyConversationsProxy(this);
    mineProxy->setSourceModel(m_session->myConversations());
    m_mineView->setModel(mineProxy);
    m_mineView->setUniformItemSizes(false);
    m_mineView->setItemDelegate(new ConversationRowDelegate(m_mineView));
    m_mineView->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_mineView->setResizeMode(QListView::Adjust); // re-lay out (and re-elide) when the dock is resized
    m_mineView->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_mineView->setSelectionMode(QAbstractItemView::SingleSelection);
    m_mineView->setMouseTracking(true);
    connect(m_mineView->selectionModel(), &QItemSelectionModel::currentChanged, this,
            [this](const QModelIndex& current) {
                if (current.isValid())
                    showConversation(current.data(MyConversationsModel::ConversationIdRole).toString());
            });

    m_queueView = makeTable(QStringLiteral("queueView"));
    m_queueView->setModel(m_session->queueModel());
    m_queueView->setToolTip(QStringLiteral("Shoppers waiting for an agent. Double-click to watch one."));
    auto* qh = m_queueView->horizontalHeader();
    qh->setSectionResizeMode(QueueModel::PositionColumn, QHeaderView::ResizeToContents);
    // A shopper column as wide as a usual label: ResizeToContents measures only the rows in view
    // when it runs, which is none while the dock is still being laid out.
    const int shopperWidth =
        m_queueView->fontMetrics().horizontalAdvance(QStringLiteral("Shopper MMMM")) + 24;
    qh->setSectionResizeMode(QueueModel::CustomerColumn, QHeaderView::Interactive);
    qh->resizeSection(QueueModel::CustomerColumn, shopperWidth);
    qh->setSectionResizeMode(QueueModel::WaitingColumn, QHeaderView::ResizeToContents);
    qh->setSectionResizeMode(QueueModel::PageColumn, QHeaderView::Stretch);
    connect(m_queueView, &QAbstractItemView::activated, this, [this](const QModelIndex& index) {
        showConversation(index.data(QueueModel::ConversationIdRole).toString());
    });

    // The team, and below it the chats of the agent picked above (all when none is): clicking a
    // chat watches it.
    m_teamView = makeTable(QStringLiteral("teamView"));
    auto* team = makeTeamProxy(this);
    team->setSourceModel(m_session->teamModel());
    m_teamView->setModel(team);
    m_teamView->setToolTip(QStringLiteral("Click an agent to see the chats it has."));
    auto* th = m_teamView->horizontalHeader();
    th->setSectionResizeMode(TeamModel::NameColumn, QHeaderView::Stretch);
    th->setSectionResizeMode(TeamModel::PresenceColumn, QHeaderView::ResizeToContents);
    th->setSectionResizeMode(TeamModel::LoadColumn, QHeaderView::ResizeToContents);

    m_teamChatsProxy = new QSortFilterProxyModel(this);
    m_teamChatsProxy->setSourceModel(m_session->teamChats());
    m_teamChatsProxy->setFilterRole(TeamChatsModel::AgentIdRole);
    m_teamChatsView = makeTable(QStringLiteral("teamChatsView"));
    m_teamChatsView->setModel(m_teamChatsProxy);
    auto* ch = m_teamChatsView->horizontalHeader();
    ch->setSectionResizeMode(TeamChatsModel::ShopperColumn, QHeaderView::Interactive);
    ch->resizeSection(TeamChatsModel::ShopperColumn, shopperWidth);
    ch->setSectionResizeMode(TeamChatsModel::AgentColumn, QHeaderView::Interactive);
    ch->resizeSection(TeamChatsModel::AgentColumn, shopperWidth);
    ch->setSectionResizeMode(TeamChatsModel::PageColumn, QHeaderView::Stretch);
    connect(m_teamChatsView, &QAbstractItemView::clicked, this, [this](const QModelIndex& index) {
        showConversation(index.data(TeamChatsModel::ConversationIdRole).toString());
    });
    connect(m_teamChatsView, &QAbstractItemView::activated, this, [this](const QModelIndex& index) {
        showConversation(index.data(TeamChatsModel::ConversationIdRole).toString());
    });
    m_teamChatsView->setToolTip(QStringLiteral("Click a chat to watch it."));
    m_teamChatsLabel = new QLabel;
    m_teamChatsLabel->setObjectName(QStringLiteral("teamChatsLabel"));
    m_teamChatsLabel->setToolTip(
        QStringLiteral("The chats the console has heard of: those that left the queue while you were "
                       "connected, and those you opened. Click one to watch it."));
    m_teamChatsAll = new QToolButton;
    m_teamChatsAll->setObjectName(QStringLiteral("teamChatsAllButton"));
    m_teamChatsAll->setText(QStringLiteral("All agents"));
    m_teamChatsAll->setAutoRaise(true);
    connect(m_teamChatsAll, &QToolButton::clicked, this, [this] { filterTeamChats(QString()); });
    // Only a person picks the agent: the team list re-sorts and resets itself on presence and
    // load changes, and its current row must not pick for them.
    for (auto signal : {&QAbstractItemView::clicked, &QAbstractItemView::activated})
        connect(m_teamView, signal, this, [this](const QModelIndex& index) {
            filterTeamChats(index.data(AgentListModel::AgentIdRole).toString());
        });
    connect(team, &QAbstractItemModel::modelReset, this, [this] { filterTeamChats(m_teamChatsAgent); });
    connect(team, &QAbstractItemModel::rowsInserted, this, [this] { filterTeamChats(m_teamChatsAgent); });
    connect(team, &QAbstractItemModel::rowsRemoved, this, [this] { filterTeamChats(m_teamChatsAgent); });
    for (QAbstractItemModel* m : {static_cast<QAbstractItemModel*>(m_session->teamChats()),
                                  static_cast<QAbstractItemModel*>(m_session->teamModel())}) {
        connect(m, &QAbstractItemModel::rowsInserted, this, &MainWindow::updateTeamChatsLabel);
        connect(m, &QAbstractItemModel::rowsRemoved, this, &MainWindow::updateTeamChatsLabel);
        connect(m, &QAbstractItemModel::modelReset, this, &MainWindow::updateTeamChatsLabel);
    }
    auto* chatsHeader = new QHBoxLayout;
    chatsHeader->setContentsMargins(4, 0, 0, 0);
    chatsHeader->addWidget(m_teamChatsLabel, 1);
    chatsHeader->addWidget(m_teamChatsAll, 0, Qt::AlignTop);
    auto* chatsPane = new QWidget;
    auto* chatsLayout = new QVBoxLayout(chatsPane);
    chatsLayout->setContentsMargins(0, 4, 0, 0);
    chatsLayout->addLayout(chatsHeader);
    chatsLayout->addWidget(m_teamChatsView, 1);
    auto* teamSplit = new QSplitter(Qt::Vertical);
    teamSplit->setObjectName(QStringLiteral("teamSplitter"));
    teamSplit->addWidget(m_teamView);
    teamSplit->addWidget(chatsPane);
    teamSplit->setSizes({220, 260});

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
    m_teamDock = dock(QStringLiteral("Team"), QStringLiteral("teamDock"), teamSplit, Qt::RightDockWidgetArea);
    splitDockWidget(m_mineDock, m_queueDock, Qt::Vertical);
    resizeDocks({m_mineDock, m_teamDock}, {300, 300}, Qt::Horizontal);
    resizeDocks({m_mineDock, m_queueDock}, {440, 200}, Qt::Vertical);

    // Dock titles carry live counts. The queue is live whatever the presence: the server tells
    // every connected agent, and each (re)connect takes a fresh snapshot.
    auto retitle = [this] {
        m_queueDock->setWindowTitle(QStringLiteral("Queue (%1)").arg(m_session->queueModel()->rowCount()));
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
    updateTeamChatsLabel();
}

void MainWindow::filterTeamChats(const QString& agentId) {
    m_teamChatsAgent = m_session->teamModel()->rowOf(agentId) >= 0 ? agentId : QString();
    m_teamChatsProxy->setFilterFixedString(m_teamChatsAgent);
    // The picked agent stays highlighted whatever the list did meanwhile.
    QSignalBlocker block(m_teamView->selectionModel());
    m_teamView->selectionModel()->clear();
    const QAbstractItemModel* team = m_teamView->model();
    for (int row = 0; row < team->rowCount() && !m_teamChatsAgent.isEmpty(); ++row)
        if (team->index(row, 0).data(AgentListModel::AgentIdRole).toString() == m_teamChatsAgent)
            m_teamView->selectionModel()->setCurrentIndex(
                team->index(row, 0), QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    m_teamView->viewport()->update();
    updateTeamChatsLabel();
}

void MainWindow::updateTeamChatsLabel() {
    m_teamChatsAll->setVisible(!m_teamChatsAgent.isEmpty());
    const int row = m_session->teamModel()->rowOf(m_teamChatsAgent);
    if (m_teamChatsAgent.isEmpty() || row < 0) {
        m_teamChatsLabel->setText(QStringLiteral("Team chats (%1)").arg(m_session->teamChats()->rowCount()));
        return;
    }
    const auto& a = m_session->teamModel()->at(row);
    const int known = m_session->teamChats()->countFor(m_teamChatsAgent);
    QString text = QStringLiteral("Chats of %1: %2").arg(qs(a.displayName)).arg(known);
    // Those assigned before this console connected are not known until the server mentions them.
    if (a.activeChats > known)
        text += QStringLiteral(" of %1").arg(a.activeChats);
    m_teamChatsLabel->setText(text);
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
    watch->setToolTip(QStringLiteral("Read along in any conversation: pick it by shopper, page or id"));
    connect(watch, &QAction::triggered, this, &MainWindow::watchConversation);

    auto* refresh = new QAction(QStringLiteral("&Refresh"), this);
    refresh->setShortcut(QKeySequence::Refresh);
    connect(refresh, &QAction::triggered, m_session, &Session::refresh);

    m_closeChatAction = new QAction(QStringLiteral("&Close chat\u2026"), this);
    m_closeChatAction->setObjectName(QStringLiteral("closeChatAction"));
    m_closeChatAction->setShortcut(QKeySequence(QStringLiteral("Ctrl+Shift+W")));
    connect(m_closeChatAction, &QAction::triggered, m_conversation, &ConversationView::requestClose);

    auto* clearFinished = new QAction(QStringLiteral("Clear &finished chats"), this);
    clearFinished->setObjectName(QStringLiteral("clearFinishedAction"));
    clearFinished->setToolTip(QStringLiteral("Take closed chats and chats no longer yours off the list"));
    connect(clearFinished, &QAction::triggered, this, [this] {
        const int n = m_session->clearFinishedConversations();
        statusBar()->showMessage(n == 1 ? QStringLiteral("1 finished chat cleared.")
                                        : QStringLiteral("%1 finished chats cleared.").arg(n),
                                 5000);
    });

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
    quit->setObjectName(QStringLiteral("quitAction"));
    // Ctrl+Q also where the platform names no quit key (some desktops and platform plugins).
    QList<QKeySequence> quitKeys = QKeySequence::keyBindings(QKeySequence::Quit);
    if (!quitKeys.contains(QKeySequence(QStringLiteral("Ctrl+Q"))))
        quitKeys << QKeySequence(QStringLiteral("Ctrl+Q"));
    quit->setShortcuts(quitKeys);
    quit->setMenuRole(QAction::QuitRole);
    connect(quit, &QAction::triggered, this, &QWidget::close);

    // Issue 19 "Agents at work": search over all messages, and transferring the chat in front.
    auto* search = new QAction(QStringLiteral("&Search\u2026"), this);
    search->setObjectName(QStringLiteral("searchAction"));
    search->setShortcut(QKeySequence::Find);
    search->setToolTip(QStringLiteral("Find messages in all conversations (Ctrl+F)"));
    connect(search, &QAction::triggered, this, [this] { openSearch(); });
    auto* transfer = new QAction(QStringLiteral("&Transfer chat\u2026"), this);
    transfer->setObjectName(QStringLiteral("transferAction"));
    transfer->setShortcut(QKeySequence(QStringLiteral("Ctrl+Shift+T")));
    connect(transfer, &QAction::triggered, m_conversation, &ConversationView::requestTransfer);
    connect(m_conversation, &ConversationView::openRequested, this, &MainWindow::showConversation);

    toolbar->addAction(watch);
    toolbar->addAction(search); // issue 19
    toolbar->addAction(refresh);

    auto* file = menuBar()->addMenu(QStringLiteral("&File"));
    file->addAction(watch);
    file->addAction(search); // issue 19
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
    chat->addAction(transfer); // issue 19
    chat->addAction(m_closeChatAction);
    chat->addAction(clearFinished);

    auto* view = menuBar()->addMenu(QStringLiteral("&View"));
    const std::pair<QDockWidget*, const char*> docks[] = {
        {m_mineDock, "Ctrl+1"}, {m_queueDock, "Ctrl+2"}, {m_teamDock, "Ctrl+3"}};
    for (const auto& [dock, key] : docks) {
        QAction* toggle = dock->toggleViewAction();
        view->addAction(toggle); // the menu hides and shows
        QWidget* w = dock->widget();
        connect(toggle, &QAction::triggered, w, [w](bool on) {
            if (on)
                w->setFocus();
        });
        // The shortcut shows (as the README says), never hides: pressed to get to the queue, a
        // toggle would hide the very dock the agent wanted.
        auto* show = new QAction(this);
        show->setObjectName(dock->objectName() + QStringLiteral("ShowAction"));
        show->setShortcut(QKeySequence(QString::fromLatin1(key)));
        show->setShortcutContext(Qt::WindowShortcut);
        addAction(show);
        connect(show, &QAction::triggered, dock, [dock, w] {
            dock->show();
            dock->raise();
            w->setFocus();
        });
    }
    view->addSeparator();
    m_soundAction = view->addAction(QStringLiteral("Play a &sound for new chats and messages"));
    m_soundAction->setObjectName(QStringLiteral("soundAction"));
    m_soundAction->setCheckable(true);
    m_soundAction->setChecked(m_notifier->soundEnabled());
    connect(m_soundAction, &QAction::toggled, m_notifier, &Notifier::setSoundEnabled);

    m_adminMenu = menuBar()->addMenu(QStringLiteral("&Administration"));
    m_adminMenu->setObjectName(QStringLiteral("adminMenu"));
    m_faqAction = m_adminMenu->addAction(QStringLiteral("&FAQ\u2026"), this, [this] { openFaqEditor(); });
    m_faqAction->setObjectName(QStringLiteral("faqEditorAction"));
    m_faqAction->setShortcut(QKeySequence(QStringLiteral("Ctrl+Shift+F")));
    // Canned replies (issue 19): admins only; one CannedEditor window, found again as this
    // window's child. Agents' "/" completer asks the server, so it offers a saved reply at once.
    {
        QAction* canned = m_adminMenu->addAction(QStringLiteral("&Canned replies\u2026"), this, [this] {
            if (!m_session->isAdmin())
                return;
            auto* editor = findChild<CannedEditor*>(QStringLiteral("cannedEditor"));
            if (!editor) {
                editor = new CannedEditor(m_session, this);
                editor->setAttribute(Qt::WA_DeleteOnClose);
            }
            editor->show();
            editor->raise();
            editor->activateWindow();
        });
        canned->setObjectName(QStringLiteral("cannedEditorAction"));
        canned->setVisible(false);
        connect(m_session, &Session::signedIn, canned,
                [this, canned] { canned->setVisible(m_session->isAdmin()); });
        connect(m_session, &Session::signedOut, canned, [canned] { canned->setVisible(false); });
    }
    m_agentsAction =
        m_adminMenu->addAction(QStringLiteral("&Agents\u2026"), this, [this] { openAgentsEditor(); });
    m_agentsAction->setObjectName(QStringLiteral("agentsEditorAction"));
    m_agentsAction->setShortcut(QKeySequence(QStringLiteral("Ctrl+Shift+A")));
    m_settingsAction =
        m_adminMenu->addAction(QStringLiteral("&Settings\u2026"), this, [this] { openSettingsEditor(); });
    m_settingsAction->setObjectName(QStringLiteral("settingsEditorAction"));
    // Reports (issue 22): admins only; one ReportsView window, found again as this window's child.
    {
        QAction* reports = m_adminMenu->addAction(QStringLiteral("&Reports\u2026"), this, [this] {
            if (!m_session->isAdmin())
                return;
            auto* view = findChild<ReportsView*>(QStringLiteral("reportsView"));
            if (!view) {
                view = new ReportsView(m_session, this);
                view->setAttribute(Qt::WA_DeleteOnClose);
            }
            view->show();
            view->raise();
            view->activateWindow();
        });
        reports->setObjectName(QStringLiteral("reportsAction"));
        reports->setShortcut(QKeySequence(QStringLiteral("Ctrl+Shift+R")));
        reports->setVisible(false);
        connect(m_session, &Session::signedIn, reports,
                [this, reports] { reports->setVisible(m_session->isAdmin()); });
        connect(m_session, &Session::signedOut, reports, [reports] { reports->setVisible(false); });
    }
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
    m_notifier->dismiss();
    onMeChanged();
    updateTitle();
}

void MainWindow::onMeChanged() {
    const auto& me = m_session->me();
    const bool online = me.presence == proto::Presence::Online;
    if (online)
        m_awayBanner->hide(); // back online: it has been acted on
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
    theme::Tone tone = theme::Tone::Info;
    switch (s) {
    case State::Connected:
        m_statusConnection->setText(QStringLiteral("\u25cf Live"));
        tone = theme::Tone::Success;
        break;
    case State::Connecting:
        m_statusConnection->setText(QStringLiteral("\u25cb Connecting\u2026"));
        tone = theme::Tone::Warning;
        break;
    case State::Reconnecting:
        m_statusConnection->setText(QStringLiteral("\u25cb Reconnecting\u2026"));
        tone = theme::Tone::Error;
        break;
    case State::Disconnected:
        m_statusConnection->setText(QStringLiteral("\u25cb Not connected"));
        break;
    }
    QPalette p = m_statusConnection->palette();
    p.setColor(QPalette::WindowText,
               s == State::Disconnected ? theme::mutedText(p) : theme::toneText(p, tone));
    m_statusConnection->setPalette(p);
}

void MainWindow::showConversation(const QString& id) {
    if (id.isEmpty())
        return;
    m_session->setCurrentConversation(id);
    m_notifier->seen(id);
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

void MainWindow::watchConversation() {
    auto* dialog = new WatchDialog(m_session, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QDialog::accepted, this,
            [this, dialog] { showConversation(dialog->selectedConversation()); });
    dialog->open();
}

// Issue 19: one search window, kept while open; a result opens its conversation at the message.
SearchDialog* MainWindow::openSearch() {
    if (!m_search) {
        m_search = new SearchDialog(m_session, this);
        m_search->setAttribute(Qt::WA_DeleteOnClose);
        connect(m_search, &SearchDialog::resultActivated, this, [this](const QString& id, qint64 seq) {
            showConversation(id);
            m_conversation->showMessage(seq);
        });
    }
    m_search->show();
    m_search->raise();
    m_search->activateWindow();
    m_search->focusInput();
    return m_search;
}

void MainWindow::updateTitle() {
    const int attention = m_session->myConversations()->totalAttention();
    const int unread = m_session->myConversations()->totalUnread();
    QString title = QStringLiteral("Parley Console");
    if (m_session->isSignedIn())
        title += QStringLiteral(" \u2014 ") + qs(m_session->me().displayName);
    if (attention > 0)
        title = QStringLiteral("(%1) ").arg(attention) + title;
    setWindowTitle(title);
    m_notifier->setTrayToolTip(attention > 0
                                   ? QStringLiteral("Parley Console: %1 waiting for you").arg(attention)
                                   : QStringLiteral("Parley Console"));
    m_mineDock->setWindowTitle(unread > 0 ? QStringLiteral("My conversations (%1 unread)").arg(unread)
                                          : QStringLiteral("My conversations"));
}

void MainWindow::notify(const QString& conversationId, const QString& title, const QString& text) {
    m_notifier->notify(conversationId, title, text);
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
    // The editors are this window's children: quitting would drop their unsaved edits silently.
    // Asked first (not while the quit is already on its way), so that Cancel keeps them all.
    if (!m_quitting && !m_editsDiscarded && !m_leaving && !m_quitBox) {
        const QStringList unsaved = editorsWithUnsavedEdits();
        if (!unsaved.isEmpty()) {
            event->ignore();
            askToDiscardEditsBeforeQuitting(unsaved);
            return;
        }
    }
    if (!m_quitting && m_session->isSignedIn() && m_session->isOnline()) {
        event->ignore();
        if (m_leaving || m_quitBox)
            return; // already on its way
        const int open = int(m_session->myConversations()->openIds().size());
        if (open > 0)
            askBeforeQuitting(open);
        else
            goOfflineThenQuit(false); // nothing to lose: just do not leave a ghost online
        return;
    }
    saveLayout();
    event->accept();
    emit closed();
}

QStringList MainWindow::editorsWithUnsavedEdits() {
    QStringList names;
    const std::pair<RecordEditor*, QString> records[] = {
        {m_faqEditor.data(), QStringLiteral("FAQ")},
        {findChild<CannedEditor*>(QStringLiteral("cannedEditor")), QStringLiteral("Canned replies")},
        {m_agentsEditor.data(), QStringLiteral("Agents")}};
    // Only open ones: a closed editor already asked (or had nothing to ask) and waits to be deleted.
    for (const auto& [editor, name] : records)
        if (editor && editor->isVisible() && editor->isDirty())
            names << name;
    if (m_settingsEditor && m_settingsEditor->isVisible() && m_settingsEditor->isDirty())
        names << QStringLiteral("Settings");
    return names;
}

void MainWindow::askToDiscardEditsBeforeQuitting(const QStringList& editors) {
    if (m_quitDiscardBox)
        return; // already asking
    const QString text =
        QStringLiteral("You have changes you have not saved in %1.\n\nQuit and discard them?")
            .arg(editors.join(QStringLiteral(", ")));
    m_quitDiscardBox = askToConfirm(this, QMessageBox::Warning, QStringLiteral("quitDiscard"),
                                    QStringLiteral("Quit Parley Console"), text,
                                    QStringLiteral("Discard and quit"), [this](bool yes) {
                                        if (!yes)
                                            return; // the app and the edits stay
                                        // The rest of the quit (going offline, the chats question)
                                        // goes on as if there had been no edits.
                                        m_editsDiscarded = true;
                                        close();
                                        m_editsDiscarded = false;
                                    });
}

void MainWindow::askBeforeQuitting(int openChats) {
    QString text = openChats == 1 ? QStringLiteral("You are online and have an open chat.")
                                  : QStringLiteral("You are online and have %1 open chats.").arg(openChats);
    // The server hands the chats of an agent gone longer than its grace period back to the queue,
    // offline by choice or not: going offline first only stops new chats coming meanwhile.
    text += QStringLiteral(
        "\n\nWhen you quit, your chats go back to the queue about a minute after you leave, for the "
        "next free agent.\n\nGo offline before quitting, so that no new chats come to you meanwhile?");
    // Only replies still waiting are resent at the next sign-in; refused ones never are.
    int waiting = 0, refused = 0;
    for (const PendingReply& r : m_session->outbox()->all())
        ++(r.state == PendingReply::State::Failed ? refused : waiting);
    if (waiting > 0)
        text +=
            waiting == 1
                ? QStringLiteral("\n\n1 reply is not sent yet; it is kept and sent when you next sign in.")
                : QStringLiteral("\n\n%1 replies are not sent yet; they are kept and sent when you "
                                 "next sign in.")
                      .arg(waiting);
    if (refused > 0)
        text += refused == 1 ? QStringLiteral("\n\n1 reply was refused by the server and will not be sent.")
                             : QStringLiteral("\n\n%1 replies were refused by the server and will not be "
                                              "sent.")
                                   .arg(refused);
    auto* box = new QMessageBox(QMessageBox::Question, QStringLiteral("Quit Parley Console"), text,
                                QMessageBox::NoButton, this);
    box->setObjectName(QStringLiteral("quitConfirmBox"));
    QPushButton* offline = box->addButton(QStringLiteral("Go offline and quit"), QMessageBox::AcceptRole);
    offline->setObjectName(QStringLiteral("quitGoOfflineButton"));
    QPushButton* online =
        box->addButton(QStringLiteral("Quit without going offline"), QMessageBox::DestructiveRole);
    online->setObjectName(QStringLiteral("quitStayOnlineButton"));
    QPushButton* cancel = box->addButton(QMessageBox::Cancel);
    cancel->setObjectName(QStringLiteral("quitCancelButton"));
    box->setDefaultButton(offline);
    box->setEscapeButton(cancel);
    box->setAttribute(Qt::WA_DeleteOnClose);
    connect(box, &QMessageBox::finished, this, [this, box, offline, online](int) {
        if (box->clickedButton() == offline)
            goOfflineThenQuit(true);
        else if (box->clickedButton() == online)
            quitNow();
    });
    m_quitBox = box;
    box->open();
}

void MainWindow::goOfflineThenQuit(bool askOnFailure) {
    m_leaving = true;
    statusBar()->showMessage(QStringLiteral("Going offline\u2026"));
    auto done = std::make_shared<bool>(false);
    // A server that does not answer must not keep the console from quitting for long.
    QTimer::singleShot(8000, this, [this, done, askOnFailure] {
        if (*done)
            return;
        *done = true;
        m_leaving = false;
        if (!askOnFailure)
            quitNow();
        else
            statusBar()->showMessage(QStringLiteral("The server did not answer: you are still online."),
                                     10000);
    });
    m_session->setPresence(proto::Presence::Offline, [this, done, askOnFailure](bool ok) {
        if (*done)
            return;
        *done = true;
        m_leaving = false;
        if (ok || !askOnFailure) {
            quitNow();
            return;
        }
        auto* box = new QMessageBox(
            QMessageBox::Warning, QStringLiteral("Quit Parley Console"),
            QStringLiteral(
                "Going offline failed, so you are still online. If you quit now, your chats go back "
                "to the queue about a minute after you leave."),
            QMessageBox::NoButton, this);
        box->setObjectName(QStringLiteral("quitFailedBox"));
        QPushButton* anyway = box->addButton(QStringLiteral("Quit anyway"), QMessageBox::DestructiveRole);
        box->addButton(QMessageBox::Cancel);
        box->setAttribute(Qt::WA_DeleteOnClose);
        connect(box, &QMessageBox::finished, this, [this, box, anyway](int) {
            if (box->clickedButton() == anyway)
                quitNow();
        });
        box->open();
    });
}

void MainWindow::quitNow() {
    m_quitting = true;
    close();
    m_quitting = false; // the window may be shown again (a test, or signing in anew)
}

void MainWindow::changeEvent(QEvent* event) {
    // Coming back to the window counts as reading the chat in front.
    if (event->type() == QEvent::ActivationChange && isActiveWindow() &&
        !m_conversation->conversationId().isEmpty()) {
        m_session->setCurrentConversation(m_conversation->conversationId());
        m_notifier->seen(m_conversation->conversationId());
    }
    QMainWindow::changeEvent(event);
}

} // namespace parley::console::gui
