#include "gui/TransferDialog.h"

#include "core/Session.h"
#include "core/Shopper.h"
#include "core/Util.h"
#include "gui/Style.h"

#include <QDialogButtonBox>
#include <QLabel>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPointer>
#include <QPushButton>
#include <QVBoxLayout>

namespace proto = parley::protocol;

namespace parley::console::gui {

TransferDialog::TransferDialog(Session* session, const QString& conversationId, QWidget* parent)
    : QDialog(parent)
    , m_session(session)
    , m_id(conversationId) {
    setObjectName(QStringLiteral("transferDialog"));
    setWindowTitle(QStringLiteral("Transfer conversation"));
    const auto c = m_session->conversation(conversationId);
    auto* intro = new QLabel(QStringLiteral("Hand the chat with %1 to:")
                                 .arg(c ? shopperLabel(*c) : QStringLiteral("this shopper")));
    intro->setWordWrap(true);

    m_targets = new QListWidget;
    m_targets->setObjectName(QStringLiteral("transferTargets"));
    m_note = new QPlainTextEdit;
    m_note->setObjectName(QStringLiteral("transferNote"));
    m_note->setPlaceholderText(QStringLiteral(
        "Optional note for the next agent (kept as an internal note, not sent to the shopper)"));
    m_note->setMaximumHeight(80);
    m_error = new QLabel;
    m_error->setObjectName(QStringLiteral("transferError"));
    m_error->setWordWrap(true);
    setToneText(m_error, theme::Tone::Error);
    m_error->hide();

    m_buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    m_buttons->button(QDialogButtonBox::Ok)->setText(QStringLiteral("Transfer"));
    m_buttons->button(QDialogButtonBox::Ok)->setObjectName(QStringLiteral("transferOk"));
    connect(m_buttons, &QDialogButtonBox::accepted, this, &TransferDialog::submit);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_targets, &QListWidget::itemDoubleClicked, this, &TransferDialog::submit);
    connect(m_targets, &QListWidget::currentItemChanged, this, [this](QListWidgetItem* item) {
        if (!m_filling && item)
            m_chosen = item->data(Qt::UserRole).toString();
    });

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(intro);
    layout->addWidget(m_targets, 1);
    layout->addWidget(new QLabel(QStringLiteral("Note:")));
    layout->addWidget(m_note);
    layout->addWidget(m_error);
    layout->addWidget(m_buttons);
    resize(420, 400);

    fillAgents();
    // Presence and load change while the dialog is open: the list follows (keeping the choice).
    // (An agent's update is a row removed and inserted again: the pick is kept in m_chosen.)
    QAbstractItemModel* team = m_session->teamModel();
    connect(team, &QAbstractItemModel::modelReset, this, &TransferDialog::fillAgents);
    connect(team, &QAbstractItemModel::layoutChanged, this, &TransferDialog::fillAgents);
    connect(team, &QAbstractItemModel::dataChanged, this, &TransferDialog::fillAgents);
    connect(team, &QAbstractItemModel::rowsInserted, this, &TransferDialog::fillAgents);
    connect(team, &QAbstractItemModel::rowsRemoved, this, &TransferDialog::fillAgents);
}

void TransferDialog::fillAgents() {
    const QString chosen = m_chosen;
    m_filling = true;
    m_targets->clear();
    auto* queue = new QListWidgetItem(QStringLiteral("Back to the queue"));
    queue->setData(Qt::UserRole, QString());
    queue->setToolTip(QStringLiteral("The next free agent gets it (not you)"));
    m_targets->addItem(queue);
    m_targets->setCurrentItem(queue);
    bool chosenListed = chosen.isEmpty();
    for (const proto::Agent& a : m_session->teamModel()->agents()) {
        const bool available =
            a.presence == proto::Presence::Online && !a.disabled && a.activeChats < a.maxActiveChats;
        // The agent picked before the list changed stays picked (marked): never silently switch
        // the choice to someone else or to the queue. The server has the last word (409).
        if (a.id == m_session->me().id || (!available && qs(a.id) != chosen))
            continue;
        auto* item =
            new QListWidgetItem(available ? QStringLiteral("%1 (%2 of %3 chats)")
                                                .arg(qs(a.displayName))
                                                .arg(a.activeChats)
                                                .arg(a.maxActiveChats)
                                          : QStringLiteral("%1 (not available now)").arg(qs(a.displayName)));
        item->setData(Qt::UserRole, qs(a.id));
        m_targets->addItem(item);
        if (qs(a.id) == chosen) {
            m_targets->setCurrentItem(item);
            chosenListed = true;
        }
    }
    if (!chosenListed)
        m_targets->setCurrentItem(nullptr);
    m_filling = false;
}

void TransferDialog::submit() {
    QListWidgetItem* item = m_targets->currentItem();
    if (!item)
        return;
    const QString target = item->data(Qt::UserRole).toString();
    const QString name = item->text();
    m_buttons->setEnabled(false);
    m_error->hide();
    QPointer<TransferDialog> self(this);
    m_session->transfer(
        m_id, target, m_note->toPlainText(), [self, name](const std::optional<ApiError>& error) {
            if (!self)
                return;
            self->m_buttons->setEnabled(true);
            if (!error) {
                self->accept();
                return;
            }
            if (error->is("agent_unavailable"))
                self->m_error->setText(
                    QStringLiteral("%1 cannot take the chat now (offline, or at the maximum of chats). Pick "
                                   "someone else or put it back in the queue.")
                        .arg(name.section(QStringLiteral(" ("), 0, 0)));
            else
                self->m_error->setText(QStringLiteral("The transfer failed: %1").arg(error->describe()));
            self->m_error->show();
        });
}

} // namespace parley::console::gui
