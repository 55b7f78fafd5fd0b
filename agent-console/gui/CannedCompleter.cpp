#include "gui/CannedCompleter.h"

#include "core/Session.h"
#include "core/Util.h"

#include <QKeyEvent>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QTextCursor>

#include <algorithm>

namespace proto = parley::protocol;

namespace parley::console::gui {

CannedCompleter::CannedCompleter(Session* session, QPlainTextEdit* composer, QObject* parent)
    : QObject(parent)
    , m_session(session)
    , m_composer(composer) {
    m_list = new QListWidget;
    m_list->setObjectName(QStringLiteral("cannedList"));
    m_list->setFocusPolicy(Qt::NoFocus); // the agent keeps typing in the composer
    m_list->setToolTip(QStringLiteral("Canned replies: Enter or Tab inserts, Esc closes"));
    m_list->hide();
    connect(m_list, &QListWidget::itemClicked, this, [this](QListWidgetItem* item) {
        m_list->setCurrentItem(item);
        choose();
    });
    m_debounce.setSingleShot(true);
    m_debounce.setInterval(150);
    connect(&m_debounce, &QTimer::timeout, this, &CannedCompleter::query);
    connect(m_composer, &QPlainTextEdit::textChanged, this, &CannedCompleter::onTextChanged);
    m_composer->installEventFilter(this);
}

void CannedCompleter::onTextChanged() {
    const QString text = m_composer->toPlainText();
    // "/" then a word at the very start, nothing else yet: the agent is asking for a reply.
    if (!text.startsWith(QLatin1Char('/')) || text.contains(QLatin1Char('\n')) || text.size() > 64 ||
        !m_composer->isEnabled()) {
        hide();
        return;
    }
    m_debounce.start();
}

void CannedCompleter::query() {
    const QString q = m_composer->toPlainText().mid(1).trimmed();
    if (!m_composer->toPlainText().startsWith(QLatin1Char('/')))
        return;
    const int gen = ++m_generation;
    m_asked = q;
    m_session->api()->canned(q, [this, gen](const ApiResult<std::vector<proto::CannedReply>>& r) {
        if (gen != m_generation || !m_composer->toPlainText().startsWith(QLatin1Char('/')))
            return;
        m_list->clear();
        if (!r.ok() || r.value.empty()) {
            // Nothing to offer (or the server refused): say so in the list's place only when asked.
            if (!r.ok()) {
                auto* item = new QListWidgetItem(
                    QStringLiteral("Canned replies are not available: %1").arg(r.error->describe()));
                item->setFlags(Qt::NoItemFlags);
                m_list->addItem(item);
                m_list->setFixedHeight(m_list->sizeHintForRow(0) + 2 * m_list->frameWidth());
                m_list->show();
            } else {
                m_list->hide();
            }
            return;
        }
        for (const auto& c : r.value) {
            auto* item =
                new QListWidgetItem(QStringLiteral("/%1 \u2014 %2").arg(qs(c.shortcut), qs(c.title)));
            item->setData(Qt::UserRole, qs(c.content));
            item->setToolTip(qs(c.content));
            m_list->addItem(item);
        }
        m_list->setCurrentRow(0);
        // As tall as its rows (up to five): the transcript keeps the room.
        m_list->setFixedHeight(m_list->sizeHintForRow(0) * std::min(m_list->count(), 5) +
                               2 * m_list->frameWidth());
        m_list->show();
    });
}

void CannedCompleter::choose() {
    QListWidgetItem* item = m_list->currentItem();
    if (!item || !(item->flags() & Qt::ItemIsEnabled))
        return;
    const QString content = item->data(Qt::UserRole).toString();
    hide();
    m_composer->setPlainText(content);
    m_composer->moveCursor(QTextCursor::End);
    m_composer->setFocus();
    hide(); // setPlainText may have started a query for content that begins with "/"
}

void CannedCompleter::hide() {
    m_debounce.stop();
    ++m_generation;
    m_list->hide();
    m_list->clear();
}

bool CannedCompleter::eventFilter(QObject* watched, QEvent* event) {
    if (watched == m_composer && event->type() == QEvent::KeyPress && m_list->isVisible()) {
        auto* key = static_cast<QKeyEvent*>(event);
        const int row = m_list->currentRow();
        switch (key->key()) {
        case Qt::Key_Down:
            m_list->setCurrentRow(std::min(row + 1, m_list->count() - 1));
            return true;
        case Qt::Key_Up:
            m_list->setCurrentRow(std::max(row - 1, 0));
            return true;
        case Qt::Key_Return:
        case Qt::Key_Enter:
        case Qt::Key_Tab:
            if (m_list->currentItem() && (m_list->currentItem()->flags() & Qt::ItemIsEnabled)) {
                choose();
                return true; // not sent: the agent edits it first
            }
            break;
        case Qt::Key_Escape:
            hide();
            return true;
        default:
            break;
        }
    }
    return QObject::eventFilter(watched, event);
}

} // namespace parley::console::gui
