#include "gui/ShopperPanel.h"

#include "core/Session.h"
#include "core/Shopper.h"
#include "core/Util.h"
#include "gui/ShopperDataRights.h"
#include "gui/Style.h"

#include <QClipboard>
#include <QFormLayout>
#include <QGuiApplication>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QVBoxLayout>

namespace proto = parley::protocol;

namespace parley::console::gui {
namespace {

QLabel* value(const QString& objectName) {
    auto* l = new QLabel;
    l->setObjectName(objectName);
    l->setWordWrap(true);
    l->setTextFormat(Qt::PlainText);
    l->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::LinksAccessibleByMouse);
    l->setOpenExternalLinks(true);
    return l;
}

QLabel* heading(const QString& text) {
    auto* l = new QLabel(text);
    QFont f = l->font();
    f.setBold(true);
    l->setFont(f);
    return l;
}

QString orUnknown(const std::optional<std::string>& v) {
    const QString s = v ? qs(*v).trimmed() : QString();
    return s.isEmpty() ? QStringLiteral("\u2014") : s;
}

} // namespace

ShopperPanel::ShopperPanel(Session* session, QWidget* parent)
    : QWidget(parent)
    , m_session(session) {
    setObjectName(QStringLiteral("shopperPanel"));
    m_name = value(QStringLiteral("shopperName"));
    QFont nf = m_name->font();
    nf.setBold(true);
    nf.setPointSizeF(nf.pointSizeF() * 1.1);
    m_name->setFont(nf);
    m_contact = value(QStringLiteral("shopperContact"));
    m_contact->setTextFormat(Qt::RichText);
    m_code = value(QStringLiteral("shopperCode"));
    m_page = value(QStringLiteral("shopperPage"));
    m_page->setTextFormat(Qt::RichText);
    m_referrer = value(QStringLiteral("shopperReferrer"));
    m_locale = value(QStringLiteral("shopperLocale"));
    m_browser = value(QStringLiteral("shopperBrowser"));
    m_status = value(QStringLiteral("conversationStatus"));
    m_started = value(QStringLiteral("conversationStarted"));
    m_conversationId = value(QStringLiteral("conversationIdLabel"));
    m_copyId = new QPushButton(QStringLiteral("Copy id"));
    m_copyId->setObjectName(QStringLiteral("copyIdButton"));
    m_copyId->setToolTip(QStringLiteral("Copy the conversation's full id"));
    connect(m_copyId, &QPushButton::clicked, this, [this] {
        if (!m_id.isEmpty())
            QGuiApplication::clipboard()->setText(m_id);
    });
    for (QLabel* l : {m_contact, m_code, m_referrer, m_locale, m_browser, m_started, m_conversationId})
        followPalette(l, [l] {
            QPalette p = l->palette();
            p.setColor(QPalette::WindowText, theme::mutedText(p));
            l->setPalette(p);
        });

    auto* shopper = new QFormLayout;
    shopper->setRowWrapPolicy(QFormLayout::WrapLongRows);
    shopper->addRow(QStringLiteral("Page:"), m_page);
    shopper->addRow(QStringLiteral("Came from:"), m_referrer);
    shopper->addRow(QStringLiteral("Language:"), m_locale);
    shopper->addRow(QStringLiteral("Browser:"), m_browser);

    auto* chat = new QFormLayout;
    chat->addRow(QStringLiteral("Status:"), m_status);
    chat->addRow(QStringLiteral("Started:"), m_started);
    chat->addRow(QStringLiteral("Id:"), m_conversationId);

    m_sections = new QVBoxLayout;
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(8, 4, 4, 4);
    layout->addWidget(heading(QStringLiteral("Shopper")));
    layout->addWidget(m_name);
    layout->addWidget(m_contact);
    layout->addWidget(m_code);
    layout->addLayout(shopper);
    layout->addSpacing(8);
    layout->addWidget(heading(QStringLiteral("Conversation")));
    layout->addLayout(chat);
    // Issue 19/21: the shopper's rating (score and comment), shown only when there is one.
    m_rating = value(QStringLiteral("conversationRating"));
    m_rating->hide();
    layout->addWidget(m_rating);
    layout->addWidget(m_copyId, 0, Qt::AlignLeft);
    layout->addLayout(m_sections);
    // Issue 22: the shopper's data, exported or erased (admins only; the section hides itself).
    m_dataRights = new ShopperDataRights(m_session);
    layout->addWidget(m_dataRights);
    layout->addStretch(1);

    connect(m_session, &Session::conversationChanged, this, [this](const QString& id) {
        if (id == m_id)
            refresh();
    });
    setConversation({});
}

void ShopperPanel::setConversation(const QString& conversationId) {
    m_id = conversationId;
    m_dataRights->setConversation(conversationId); // issue 22
    refresh();
}

void ShopperPanel::refresh() {
    const auto c = m_id.isEmpty() ? std::nullopt : m_session->conversation(m_id);
    setEnabled(c.has_value());
    m_copyId->setVisible(c.has_value());
    if (!c) {
        for (QLabel* l : {m_name, m_contact, m_code, m_page, m_referrer, m_locale, m_browser, m_status,
                          m_started, m_conversationId})
            l->clear();
        m_rating->hide(); // issue 19
        m_name->setText(m_id.isEmpty() ? QStringLiteral("No conversation selected")
                                       : QStringLiteral("Loading\u2026"));
        return;
    }
    m_name->setText(shopperLabel(*c));
    if (c->contact) {
        const QString email = qs(c->contact->email).toHtmlEscaped();
        // Issue 19/21: the name the shopper gave, then the address to write to.
        const QString name = c->contact->name ? qs(*c->contact->name).trimmed().toHtmlEscaped() : QString();
        m_contact->setText((name.isEmpty() ? QString() : name + QStringLiteral(" &lt;")) +
                           QStringLiteral("<a href=\"mailto:%1\">%1</a>").arg(email) +
                           (name.isEmpty() ? QString() : QStringLiteral("&gt;")));
    } else {
        m_contact->setText(QStringLiteral("No contact details given"));
    }
    // The code is the name when nothing else is known; then it need not be said twice.
    const QString code = QStringLiteral("Shopper ") + shopperCode(c->customerSessionId);
    m_code->setText(shopperLabel(*c) == code ? QString() : code);
    m_code->setVisible(!m_code->text().isEmpty());
    const QString page = pageLabel(*c);
    if (const QUrl url = pageUrl(*c); url.isValid())
        m_page->setText(QStringLiteral("<a href=\"%1\">%2</a>")
                            .arg(QString::fromUtf8(url.toEncoded()).toHtmlEscaped(), page.toHtmlEscaped()));
    else
        m_page->setText(page.isEmpty() ? QStringLiteral("Not known yet") : page.toHtmlEscaped());
    // (m_page is rich text: the plain case is escaped too.)
    m_page->setToolTip(qs(c->context.pageUrl.value_or(std::string())));
    m_referrer->setText(orUnknown(c->context.referrer));
    m_locale->setText(orUnknown(c->context.locale));
    m_browser->setText(orUnknown(c->context.userAgent));
    m_browser->setToolTip(qs(c->context.userAgent.value_or(std::string())));

    QString status;
    switch (c->status) {
    case proto::ConversationStatus::Automated:
        status = QStringLiteral("with the bot");
        break;
    case proto::ConversationStatus::Agent:
        if (!c->assignedAgentId) {
            status = QStringLiteral("waiting in the queue");
        } else if (*c->assignedAgentId == m_session->me().id) {
            status = QStringLiteral("with you");
        } else {
            const int row = m_session->teamModel()->rowOf(qs(*c->assignedAgentId));
            status = QStringLiteral("with %1").arg(row >= 0 ? qs(m_session->teamModel()->at(row).displayName)
                                                            : QStringLiteral("an agent"));
        }
        break;
    case proto::ConversationStatus::Closed:
        status = QStringLiteral("closed");
        break;
    }
    m_status->setText(status);
    m_started->setText(QLocale().toString(parseTime(c->createdAt).toLocalTime(), QLocale::ShortFormat));
    // The short form people see everywhere; the full id is one click away (Copy id) and in the tooltip.
    m_conversationId->setText(shortId(c->id) + QChar(0x2026));
    m_conversationId->setToolTip(qs(c->id));
    // Issue 19/21: "Rated ★★★★☆ 4/5" and the comment, when the shopper rated the chat.
    if (c->rating) {
        const int score = std::clamp(c->rating->score, 0, 5);
        QString text = QStringLiteral("Rated %1%2 %3/5")
                           .arg(QString(score, QChar(0x2605)), QString(5 - score, QChar(0x2606)))
                           .arg(score);
        if (c->rating->comment && !c->rating->comment->empty())
            text += QStringLiteral(": \u201c%1\u201d").arg(qs(*c->rating->comment));
        m_rating->setText(text);
        m_rating->show();
    } else {
        m_rating->hide();
    }
}

} // namespace parley::console::gui
