#include "gui/WatchDialog.h"

#include "core/Session.h"
#include "core/Shopper.h"
#include "core/Util.h"

#include <QDialogButtonBox>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QUuid>
#include <QVBoxLayout>

#include <algorithm>

namespace proto = parley::protocol;

namespace parley::console::gui {

WatchDialog::WatchDialog(Session* session, QWidget* parent)
    : QDialog(parent)
    , m_session(session) {
    setObjectName(QStringLiteral("watchDialog"));
    setWindowTitle(QStringLiteral("Watch a conversation"));
    resize(560, 420);

    auto* hint =
        new QLabel(QStringLiteral("Pick a conversation to read along. Type part of the shopper\u2019s "
                                  "name, e-mail or label, the page, or the id as shown."));
    hint->setWordWrap(true);
    m_filter = new QLineEdit;
    m_filter->setObjectName(QStringLiteral("watchFilter"));
    m_filter->setPlaceholderText(QStringLiteral("Shopper 7F3K, jane@example.com, checkout, 1a2b3c4d\u2026"));
    m_filter->setClearButtonEnabled(true);
    m_list = new QListWidget;
    m_list->setObjectName(QStringLiteral("watchList"));
    m_list->setUniformItemSizes(true);

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Cancel);
    m_open = buttons->addButton(QStringLiteral("&Watch"), QDialogButtonBox::AcceptRole);
    m_open->setObjectName(QStringLiteral("watchOpenButton"));
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_list, &QListWidget::itemActivated, this, &QDialog::accept);
    connect(m_list, &QListWidget::currentRowChanged, this, [this](int row) { m_open->setEnabled(row >= 0); });
    connect(m_filter, &QLineEdit::textChanged, this, &WatchDialog::refill);

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(hint);
    layout->addWidget(m_filter);
    layout->addWidget(m_list, 1);
    layout->addWidget(buttons);
    // Default only once it is inside the dialog: set earlier, Enter would press Cancel.
    m_open->setDefault(true);
    refill();
    m_filter->setFocus();
}

void WatchDialog::setFilter(const QString& text) {
    m_filter->setText(text);
}

QString WatchDialog::selectedConversation() const {
    const QListWidgetItem* item = m_list->currentItem();
    return item ? item->data(Qt::UserRole).toString() : QString();
}

void WatchDialog::refill() {
    const QString filter = m_filter->text().trimmed();
    m_list->clear();
    auto known = m_session->knownConversations();
    // Open chats first, then the newest.
    std::sort(known.begin(), known.end(), [](const proto::Conversation& a, const proto::Conversation& b) {
        const bool ao = a.status != proto::ConversationStatus::Closed,
                   bo = b.status != proto::ConversationStatus::Closed;
        if (ao != bo)
            return ao;
        return parseTime(a.updatedAt) > parseTime(b.updatedAt);
    });
    const auto& team = *m_session->teamModel();
    for (const auto& c : known) {
        const QString id = qs(c.id);
        QString where;
        switch (c.status) {
        case proto::ConversationStatus::Automated:
            where = QStringLiteral("with the bot");
            break;
        case proto::ConversationStatus::Agent:
            if (!c.assignedAgentId) {
                where = QStringLiteral("waiting in the queue");
            } else if (*c.assignedAgentId == m_session->me().id) {
                where = QStringLiteral("with you");
            } else {
                const int row = team.rowOf(qs(*c.assignedAgentId));
                where = QStringLiteral("with ") +
                        (row >= 0 ? qs(team.at(row).displayName) : QStringLiteral("an agent"));
            }
            break;
        case proto::ConversationStatus::Closed:
            where = QStringLiteral("closed");
            break;
        }
        const QString page = pageLabel(c);
        QString text = shopperLabel(c) + QStringLiteral(" \u2014 ") + where;
        if (!page.isEmpty())
            text += QStringLiteral(" \u00b7 on ") + page;
        text += QStringLiteral(" \u00b7 ") + shortId(c.id);
        const QString haystack = text + QLatin1Char(' ') + shopperDetail(c) + QLatin1Char(' ') + id;
        if (!filter.isEmpty() && !haystack.contains(filter, Qt::CaseInsensitive))
            continue;
        auto* item = new QListWidgetItem(text, m_list);
        item->setData(Qt::UserRole, id);
        item->setToolTip(shopperDetail(c) + QStringLiteral("\n") + id);
    }
    // An id from elsewhere (a ticket, a colleague's message) that the console has not seen yet.
    const QUuid uuid = QUuid::fromString(filter);
    if (!uuid.isNull() && m_list->count() == 0) {
        const QString id = uuid.toString(QUuid::WithoutBraces);
        auto* item = new QListWidgetItem(QStringLiteral("Conversation %1").arg(id), m_list);
        item->setData(Qt::UserRole, id);
    }
    if (m_list->count() > 0)
        m_list->setCurrentRow(0);
    m_open->setEnabled(m_list->currentRow() >= 0);
}

} // namespace parley::console::gui
