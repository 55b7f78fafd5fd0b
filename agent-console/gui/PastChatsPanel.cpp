#include "gui/PastChatsPanel.h"

#include "core/Session.h"
#include "core/Util.h"
#include "gui/Style.h"

#include <QLabel>
#include <QListWidget>
#include <QLocale>
#include <QVBoxLayout>

namespace proto = parley::protocol;

namespace parley::console::gui {

PastChatsPanel::PastChatsPanel(Session* session, QWidget* parent)
    : QWidget(parent)
    , m_session(session) {
    setObjectName(QStringLiteral("pastChatsPanel"));
    auto* heading = new QLabel(QStringLiteral("Past chats"));
    QFont f = heading->font();
    f.setBold(true);
    heading->setFont(f);
    m_list = new QListWidget;
    m_list->setObjectName(QStringLiteral("pastChatsList"));
    m_list->setMaximumHeight(110);
    m_list->setWordWrap(true);
    m_list->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_list->setToolTip(QStringLiteral("This shopper's other conversations: double-click to read one"));
    connect(m_list, &QListWidget::itemActivated, this,
            [this](QListWidgetItem* item) { emit openRequested(item->data(Qt::UserRole).toString()); });
    m_empty = new QLabel;
    m_empty->setObjectName(QStringLiteral("pastChatsEmpty"));
    followPalette(m_empty, [this] {
        QPalette p = m_empty->palette();
        p.setColor(QPalette::WindowText, theme::mutedText(p));
        m_empty->setPalette(p);
    });
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 8, 0, 0);
    layout->addWidget(heading);
    layout->addWidget(m_list);
    layout->addWidget(m_empty);

    // The shopper is known once the conversation is.
    connect(m_session, &Session::conversationChanged, this, [this](const QString& id) {
        if (id == m_id)
            load();
    });
    setConversation({});
}

void PastChatsPanel::setConversation(const QString& conversationId) {
    if (conversationId == m_id && !conversationId.isEmpty())
        return;
    m_id = conversationId;
    m_customer.clear();
    ++m_generation;
    m_list->clear();
    m_list->hide();
    m_empty->setText(QString());
    load();
}

void PastChatsPanel::load() {
    const auto c = m_id.isEmpty() ? std::nullopt : m_session->conversation(m_id);
    if (!c || qs(c->customerSessionId) == m_customer)
        return;
    m_customer = qs(c->customerSessionId);
    const int gen = ++m_generation;
    m_empty->setText(QStringLiteral("Loading\u2026"));
    m_session->api()->customerConversations(
        m_customer, [this, gen](const ApiResult<std::vector<proto::Conversation>>& r) {
            if (gen != m_generation)
                return;
            m_list->clear();
            if (!r.ok()) {
                m_empty->setText(
                    QStringLiteral("Past chats could not be loaded: %1").arg(r.error->describe()));
                return;
            }
            for (const auto& other : r.value) {
                if (qs(other.id) == m_id)
                    continue;
                QString status = QStringLiteral("closed");
                if (other.status == proto::ConversationStatus::Automated)
                    status = QStringLiteral("with the bot");
                else if (other.status == proto::ConversationStatus::Agent)
                    status = other.assignedAgentId ? QStringLiteral("with an agent")
                                                   : QStringLiteral("waiting in the queue");
                auto* item =
                    new QListWidgetItem(QStringLiteral("%1 \u00b7 %2")
                                            .arg(QLocale().toString(parseTime(other.createdAt).toLocalTime(),
                                                                    QLocale::ShortFormat),
                                                 status));
                item->setData(Qt::UserRole, qs(other.id));
                m_list->addItem(item);
            }
            m_list->setVisible(m_list->count() > 0);
            m_empty->setText(m_list->count() > 0 ? QString() : QStringLiteral("No other chats."));
            m_empty->setVisible(m_list->count() == 0);
        });
}

} // namespace parley::console::gui
