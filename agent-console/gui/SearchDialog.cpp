#include "gui/SearchDialog.h"

#include "core/Session.h"
#include "core/Shopper.h"
#include "core/Util.h"
#include "gui/Style.h"

#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QLocale>
#include <QPointer>
#include <QVBoxLayout>

namespace proto = parley::protocol;

namespace parley::console::gui {
namespace {

constexpr int kSeqRole = Qt::UserRole + 1;

// A line of the message around the first word of the query, at most ~120 characters.
QString snippet(const QString& text, const QString& query) {
    QString flat = text.simplified();
    const QString word = query.simplified().section(QLatin1Char(' '), 0, 0);
    int at = word.isEmpty()
                 ? -1
                 : flat.indexOf(word.left(std::max<qsizetype>(3, word.size() - 2)), 0, Qt::CaseInsensitive);
    if (flat.size() <= 120)
        return flat;
    int start = at < 0 ? 0 : std::max(0, at - 40);
    QString s = flat.mid(start, 120);
    if (start > 0)
        s.prepend(QChar(0x2026));
    if (start + 120 < flat.size())
        s.append(QChar(0x2026));
    return s;
}

} // namespace

SearchDialog::SearchDialog(Session* session, QWidget* parent)
    : QDialog(parent)
    , m_session(session) {
    setObjectName(QStringLiteral("searchDialog"));
    setWindowTitle(QStringLiteral("Search conversations"));
    m_input = new QLineEdit;
    m_input->setObjectName(QStringLiteral("searchInput"));
    m_input->setPlaceholderText(
        QStringLiteral("Words from a message (case, accents and endings do not matter)"));
    m_input->setClearButtonEnabled(true);
    m_results = new QListWidget;
    m_results->setObjectName(QStringLiteral("searchResults"));
    m_results->setWordWrap(true);
    m_results->setAlternatingRowColors(true);
    m_status = new QLabel;
    m_status->setObjectName(QStringLiteral("searchStatus"));
    followPalette(m_status, [this] {
        QPalette p = m_status->palette();
        p.setColor(QPalette::WindowText, theme::mutedText(p));
        m_status->setPalette(p);
    });
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_input);
    layout->addWidget(m_results, 1);
    layout->addWidget(m_status);
    resize(560, 420);

    m_debounce.setSingleShot(true);
    m_debounce.setInterval(300);
    connect(&m_debounce, &QTimer::timeout, this, &SearchDialog::search);
    connect(m_input, &QLineEdit::textChanged, this, [this] { m_debounce.start(); });
    connect(m_input, &QLineEdit::returnPressed, this, [this] {
        if (m_results->count() > 0 && m_results->currentItem() && !m_debounce.isActive())
            emit m_results->itemActivated(m_results->currentItem());
        else
            search();
    });
    connect(m_results, &QListWidget::itemActivated, this, [this](QListWidgetItem* item) {
        emit resultActivated(item->data(Qt::UserRole).toString(), item->data(kSeqRole).toLongLong());
    });
}

void SearchDialog::focusInput() {
    m_input->setFocus();
    m_input->selectAll();
}

void SearchDialog::search() {
    m_debounce.stop();
    const QString q = m_input->text().trimmed();
    const int gen = ++m_generation;
    if (q.isEmpty()) {
        m_results->clear();
        m_status->clear();
        return;
    }
    m_status->setText(QStringLiteral("Searching\u2026"));
    // The dialog deletes itself on close: an answer arriving after that finds it gone.
    m_session->api()->search(
        q, kLimit, [self = QPointer<SearchDialog>(this), gen, q](const ApiResult<std::vector<SearchHit>>& r) {
            if (!self || gen != self->m_generation)
                return;
            self->m_results->clear();
            if (!r.ok()) {
                self->m_status->setText(QStringLiteral("The search failed: %1").arg(r.error->describe()));
                return;
            }
            for (const SearchHit& hit : r.value) {
                const QString when =
                    QLocale().toString(parseTime(hit.message.createdAt).toLocalTime(), QLocale::ShortFormat);
                QString who = QStringLiteral("Shopper");
                if (hit.message.senderType == proto::SenderType::Agent)
                    who = QStringLiteral("Agent");
                else if (hit.message.senderType == proto::SenderType::Bot)
                    who = QStringLiteral("Bot");
                auto* item = new QListWidgetItem(
                    QStringLiteral("%1 \u00b7 %2 \u00b7 %3\n%4")
                        .arg(shopperLabel(hit.conversation), when, who, snippet(qs(hit.message.content), q)));
                item->setData(Qt::UserRole, qs(hit.conversation.id));
                item->setData(kSeqRole, qint64(hit.message.seq));
                item->setToolTip(qs(hit.message.content));
                self->m_results->addItem(item);
            }
            if (self->m_results->count() > 0)
                self->m_results->setCurrentRow(0);
            self->m_status->setText(
                r.value.empty()       ? QStringLiteral("Nothing found.")
                : r.value.size() == 1 ? QStringLiteral("1 message found. Enter or double-click opens it.")
                                      : QStringLiteral("%1 messages found. Enter or double-click opens one.")
                                            .arg(r.value.size()));
        });
}

} // namespace parley::console::gui
