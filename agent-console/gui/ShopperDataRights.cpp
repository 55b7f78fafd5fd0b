#include "gui/ShopperDataRights.h"

#include "core/ApiClient.h"
#include "core/Session.h"
#include "core/Shopper.h"
#include "core/Util.h"
#include "gui/ConfirmBox.h"
#include "gui/FileChooser.h"
#include "gui/Style.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QVBoxLayout>

using nlohmann::json;
namespace proto = parley::protocol;

namespace parley::console::gui {

ShopperDataRights::ShopperDataRights(Session* session, QWidget* parent)
    : QWidget(parent)
    , m_session(session) {
    setObjectName(QStringLiteral("shopperDataRights"));
    auto* heading = new QLabel(QStringLiteral("Shopper\u2019s data"));
    QFont f = heading->font();
    f.setBold(true);
    heading->setFont(f);
    m_export = new QPushButton(QStringLiteral("Export data\u2026"));
    m_export->setObjectName(QStringLiteral("exportDataButton"));
    m_export->setToolTip(QStringLiteral("Save everything stored about this shopper as a JSON file"));
    m_erase = new QPushButton(QStringLiteral("Erase data\u2026"));
    m_erase->setObjectName(QStringLiteral("eraseDataButton"));
    m_erase->setToolTip(QStringLiteral("Erase this shopper\u2019s messages, contact and page details in all "
                                       "of its conversations"));
    m_erasedNote = new QLabel(QStringLiteral("This shopper\u2019s data was erased."));
    m_erasedNote->setObjectName(QStringLiteral("shopperErasedNote"));
    m_erasedNote->setWordWrap(true);
    setToneText(m_erasedNote, theme::Tone::Warning);
    m_status = new QLabel;
    m_status->setObjectName(QStringLiteral("dataRightsStatus"));
    m_status->setWordWrap(true);
    m_status->setTextFormat(Qt::PlainText);
    followPalette(m_status, [this] {
        QPalette p = m_status->palette();
        p.setColor(QPalette::WindowText,
                   m_statusError ? theme::toneText(p, theme::Tone::Error) : theme::mutedText(p));
        m_status->setPalette(p);
    });

    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_export);
    buttons->addWidget(m_erase);
    buttons->addStretch(1);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 8, 0, 0);
    layout->addWidget(heading);
    layout->addWidget(m_erasedNote);
    layout->addLayout(buttons);
    layout->addWidget(m_status);

    connect(m_export, &QPushButton::clicked, this, &ShopperDataRights::exportData);
    connect(m_erase, &QPushButton::clicked, this, &ShopperDataRights::requestErase);
    connect(m_session, &Session::conversationChanged, this, [this](const QString& id) {
        if (id == m_id)
            refresh();
    });
    connect(m_session, &Session::signedIn, this, &ShopperDataRights::refresh);
    setConversation({});
}

void ShopperDataRights::setConversation(const QString& conversationId) {
    for (const auto& c : std::as_const(m_modelConnections))
        disconnect(c);
    m_modelConnections.clear();
    if (conversationId != m_id)
        setStatus({}, false);
    m_id = conversationId;
    if (!m_id.isEmpty()) {
        MessagesModel* model = m_session->messages(m_id);
        m_modelConnections << connect(model, &QAbstractItemModel::modelReset, this,
                                      &ShopperDataRights::refresh)
                           << connect(model, &QAbstractItemModel::rowsInserted, this,
                                      &ShopperDataRights::refresh);
    }
    refresh();
}

bool ShopperDataRights::isErased() const {
    if (m_id.isEmpty())
        return false;
    for (const auto& m : m_session->messages(m_id)->messages())
        if (m.metadata.is_object() && m.metadata.value("erased", false))
            return true;
    return false;
}

void ShopperDataRights::refresh() {
    const auto c = m_id.isEmpty() ? std::nullopt : m_session->conversation(m_id);
    setVisible(m_session->isAdmin() && c.has_value()); // the calls are the admin's
    const bool erased = isErased();
    m_erasedNote->setVisible(erased);
    m_erase->setEnabled(c.has_value() && !erased && !m_confirm);
    m_export->setEnabled(c.has_value());
}

QMessageBox* ShopperDataRights::confirmation() const {
    return m_confirm;
}

QString ShopperDataRights::statusText() const {
    return m_status->text();
}

void ShopperDataRights::setStatus(const QString& text, bool error) {
    m_statusError = error;
    m_status->setText(text);
    m_status->setVisible(!text.isEmpty());
    QPalette p = m_status->palette();
    p.setColor(QPalette::WindowText, error ? theme::toneText(p, theme::Tone::Error) : theme::mutedText(p));
    m_status->setPalette(p);
}

void ShopperDataRights::exportData() {
    const auto c = m_id.isEmpty() ? std::nullopt : m_session->conversation(m_id);
    if (!c)
        return;
    const QString session = qs(c->customerSessionId);
    const QString suggested = QStringLiteral("parley-shopper-%1.json").arg(shopperCode(c->customerSessionId));
    const QString path = chooseSaveFile(window(), QStringLiteral("Export the shopper\u2019s data"), suggested,
                                        QStringLiteral("JSON files (*.json)"));
    if (path.isEmpty())
        return;
    setStatus(QStringLiteral("Exporting\u2026"), false);
    QPointer<ShopperDataRights> self(this);
    m_session->api()->exportCustomer(session, [self, path](const ApiResult<json>& r) {
        if (!self)
            return;
        if (!r.ok()) {
            self->setStatus(QStringLiteral("Export failed: %1").arg(r.error->describe()), true);
            return;
        }
        QString error;
        if (!writeFileAtomically(path, QByteArray::fromStdString(r.value.dump(2)) + '\n', &error)) {
            self->setStatus(QStringLiteral("%1 could not be written: %2").arg(path, error), true);
            return;
        }
        self->setStatus(QStringLiteral("Saved to %1").arg(path), false);
        emit self->exported(path);
    });
}

void ShopperDataRights::requestErase() {
    const auto c = m_id.isEmpty() ? std::nullopt : m_session->conversation(m_id);
    if (!c || !m_session->isAdmin() || m_confirm)
        return;
    const std::string sessionId = c->customerSessionId;
    const QString text =
        QStringLiteral("Erase all data of %1?\n\nThe messages in this shopper\u2019s conversations, "
                       "its contact details, page details and rating comments are erased on the "
                       "server for good, and its chat window stops working. This cannot be undone.")
            .arg(shopperLabel(*c));
    m_confirm = askToConfirm(window(), QMessageBox::Warning, QStringLiteral("confirmErase"),
                             QStringLiteral("Erase shopper data"), text, QStringLiteral("Erase data"),
                             [self = QPointer<ShopperDataRights>(this), sessionId](bool yes) {
                                 if (!self)
                                     return;
                                 self->m_confirm = nullptr;
                                 self->refresh();
                                 if (yes)
                                     self->erase(qs(sessionId));
                             });
    refresh();
}

void ShopperDataRights::erase(const QString& customerSessionId) {
    setStatus(QStringLiteral("Erasing\u2026"), false);
    m_erase->setEnabled(false);
    QPointer<ShopperDataRights> self(this);
    m_session->api()->eraseCustomer(customerSessionId, [self, customerSessionId](
                                                           const ApiResult<std::monostate>& r) {
        if (!self)
            return;
        if (!r.ok()) {
            self->setStatus(QStringLiteral("Erase failed: %1").arg(r.error->describe()), true);
            self->refresh();
            return;
        }
        self->setStatus(
            QStringLiteral("Erased. The conversations keep their times and order, without content."), false);
        // The server sends no event for an erase: every conversation of that shopper the console has
        // loaded is read again (the transcript and this panel then show the erased state).
        const std::string session = customerSessionId.toStdString();
        for (const auto& c : self->m_session->knownConversations())
            if (c.customerSessionId == session)
                self->m_session->reloadConversation(qs(c.id));
        emit self->erased(customerSessionId);
    });
}

} // namespace parley::console::gui
