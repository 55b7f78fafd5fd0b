#include "gui/Style.h"

#include "core/AgentListModel.h"
#include "core/MyConversationsModel.h"

#include <QApplication>
#include <QEvent>
#include <QFont>
#include <QHBoxLayout>
#include <QLabel>
#include <QPainter>
#include <QPainterPath>
#include <QPalette>
#include <QPixmap>

// console.qrc is compiled into the static parley_console_gui library, and a static library's object
// file that nothing references is never linked: without this reference the executables (the console
// and the tests) had no :/parley-console.svg. Q_INIT_RESOURCE must be used outside any namespace.
static void initConsoleResources() {
    Q_INIT_RESOURCE(console);
}

namespace parley::console::gui {
namespace {

QIcon dot(const QColor& fill, const QColor& ring) {
    QIcon icon;
    for (int size : {16, 32}) {
        QPixmap pm(size, size);
        pm.fill(Qt::transparent);
        QPainter p(&pm);
        p.setRenderHint(QPainter::Antialiasing);
        p.setPen(QPen(ring, size / 12.0));
        p.setBrush(fill);
        const qreal m = size * 0.22;
        p.drawEllipse(QRectF(m, m, size - 2 * m, size - 2 * m));
        p.end();
        icon.addPixmap(pm);
    }
    return icon;
}

// The hue of a tone; Accent follows the palette's highlight.
qreal toneHue(const QPalette& p, theme::Tone tone) {
    switch (tone) {
    case theme::Tone::Error:
        return 4.0 / 360;
    case theme::Tone::Success:
        return 140.0 / 360;
    case theme::Tone::Warning:
        return 42.0 / 360;
    case theme::Tone::Info:
        return 212.0 / 360;
    case theme::Tone::Accent:
        break;
    }
    const qreal h = p.color(QPalette::Highlight).hslHueF();
    return h < 0 ? 212.0 / 360 : h;
}

class PaletteFollower : public QObject {
public:
    PaletteFollower(QWidget* widget, std::function<void()> apply)
        : QObject(widget)
        , m_apply(std::move(apply)) {
        widget->installEventFilter(this);
    }
    bool eventFilter(QObject* watched, QEvent* event) override {
        if (event->type() == QEvent::PaletteChange && !m_busy) {
            m_busy = true; // apply() may set the palette itself: that change is its own
            m_apply();
            m_busy = false;
        }
        return QObject::eventFilter(watched, event);
    }

private:
    std::function<void()> m_apply;
    bool m_busy = false;
};

} // namespace

namespace theme {

bool isDark(const QPalette& p) {
    return p.color(QPalette::Window).lightness() < 128;
}

QColor mix(const QColor& a, const QColor& b, qreal amount) {
    const qreal k = std::clamp(amount, 0.0, 1.0);
    return QColor::fromRgbF(float(a.redF() + (b.redF() - a.redF()) * k),
                            float(a.greenF() + (b.greenF() - a.greenF()) * k),
                            float(a.blueF() + (b.blueF() - a.blueF()) * k));
}

QColor mutedText(const QPalette& p) {
    return mix(p.color(QPalette::Text), p.color(QPalette::Base), 0.42);
}

QColor toneText(const QPalette& p, Tone tone) {
    return QColor::fromHslF(float(toneHue(p, tone)), 0.7f, isDark(p) ? 0.72f : 0.34f);
}

QColor toneBackground(const QPalette& p, Tone tone) {
    const QColor hue = QColor::fromHslF(float(toneHue(p, tone)), 0.75f, 0.5f);
    return mix(p.color(QPalette::Window), hue, isDark(p) ? 0.24 : 0.16);
}

QColor bubble(const QPalette& p, protocol::SenderType sender) {
    const QColor base = p.color(QPalette::Base);
    const bool dark = isDark(p);
    switch (sender) {
    case protocol::SenderType::Customer:
        return mix(base, p.color(QPalette::Text), dark ? 0.12 : 0.06);
    case protocol::SenderType::Agent:
        return mix(base, p.color(QPalette::Highlight), dark ? 0.38 : 0.18);
    case protocol::SenderType::Bot:
        return mix(base, QColor::fromHslF(270.0f / 360, 0.5f, 0.55f), dark ? 0.28 : 0.12);
    case protocol::SenderType::System:
        break;
    }
    return base;
}

QColor pendingBubble(const QPalette& p) {
    return mix(p.color(QPalette::Base), p.color(QPalette::Highlight), isDark(p) ? 0.16 : 0.07);
}

} // namespace theme

void followPalette(QWidget* widget, std::function<void()> apply) {
    apply();
    new PaletteFollower(widget, std::move(apply));
}

void setToneText(QLabel* label, theme::Tone tone) {
    followPalette(label, [label, tone] {
        QPalette p = label->palette();
        p.setColor(QPalette::WindowText, theme::toneText(p, tone));
        label->setPalette(p);
    });
}

NoticeBar::NoticeBar(theme::Tone tone, QWidget* parent)
    : QFrame(parent)
    , m_tone(tone)
    , m_label(new QLabel)
    , m_layout(new QHBoxLayout(this)) {
    m_label->setWordWrap(true);
    m_label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    QFont f = m_label->font();
    f.setBold(true);
    m_label->setFont(f);
    m_layout->setContentsMargins(10, 6, 10, 6);
    m_layout->addWidget(m_label, 1);
}

void NoticeBar::setText(const QString& text) {
    m_label->setText(text);
}

QString NoticeBar::text() const {
    return m_label->text();
}

void NoticeBar::setTone(theme::Tone tone) {
    m_tone = tone;
    update();
}

void NoticeBar::addWidget(QWidget* widget) {
    m_layout->addWidget(widget, 0, Qt::AlignVCenter);
}

void NoticeBar::paintEvent(QPaintEvent*) {
    QPainter p(this);
    const QColor bg = theme::toneBackground(palette(), m_tone);
    p.fillRect(rect(), bg);
    p.setPen(theme::mix(bg, theme::toneText(palette(), m_tone), 0.35));
    p.drawLine(rect().bottomLeft(), rect().bottomRight());
}

QIcon appIcon() {
    static const bool resourcesReady = (initConsoleResources(), true);
    Q_UNUSED(resourcesReady);
    QIcon icon(QStringLiteral(":/parley-console.svg"));
    if (!icon.pixmap(32, 32).isNull())
        return icon;
    // No SVG image plugin installed (libqt6svg6): paint a plain stand-in so the window is not iconless.
    QIcon fallback;
    for (int size : {16, 32, 64, 128}) {
        QPixmap pm(size, size);
        pm.fill(Qt::transparent);
        QPainter p(&pm);
        p.setRenderHint(QPainter::Antialiasing);
        p.setPen(Qt::NoPen);
        p.setBrush(QColor(0x2f, 0x6f, 0xde)); // the brand colours of the SVG it stands in for
        p.drawRoundedRect(QRectF(0, 0, size, size), size * 0.2, size * 0.2);
        p.setBrush(Qt::white);
        p.drawRoundedRect(QRectF(size * 0.18, size * 0.22, size * 0.55, size * 0.38), size * 0.08,
                          size * 0.08);
        p.setBrush(QColor(0xff, 0xc8, 0x57));
        p.drawRoundedRect(QRectF(size * 0.36, size * 0.5, size * 0.48, size * 0.3), size * 0.08, size * 0.08);
        p.end();
        fallback.addPixmap(pm);
    }
    return fallback;
}

QIcon presenceIcon(bool online) {
    // Mid-tone dots with a darker ring read on light and dark backgrounds alike.
    static const QIcon on = dot(QColor(0x2e, 0xb8, 0x5c), QColor(0x1e, 0x8a, 0x44));
    static const QIcon off = dot(QColor(0x9a, 0xa0, 0xa6), QColor(0x6f, 0x75, 0x7b));
    return online ? on : off;
}

QIcon unreadIcon() {
    static const QIcon icon = dot(QColor(0x2f, 0x6f, 0xde), QColor(0x1c, 0x4f, 0xb0));
    return icon;
}

QSize FitWidthDelegate::sizeHint(const QStyleOptionViewItem& option, const QModelIndex& index) const {
    QSize s = QStyledItemDelegate::sizeHint(option, index);
    s.setWidth(1);
    return s;
}

// ---- ConversationRowDelegate

namespace {

constexpr int kRowPadX = 8;
constexpr int kRowPadY = 6;
constexpr int kLineGap = 2;

QFont titleFont(const QStyleOptionViewItem& option, bool bold) {
    QFont f = option.font;
    f.setBold(bold);
    return f;
}

QFont smallFont(const QStyleOptionViewItem& option) {
    QFont f = option.font;
    f.setPointSizeF(f.pointSizeF() * 0.9);
    return f;
}

} // namespace

QSize ConversationRowDelegate::sizeHint(const QStyleOptionViewItem& option, const QModelIndex& index) const {
    const QFontMetrics title(titleFont(option, true));
    const QFontMetrics small(smallFont(option));
    int h = kRowPadY * 2 + title.height() + kLineGap + QFontMetrics(option.font).height();
    if (!index.data(MyConversationsModel::PageRole).toString().isEmpty())
        h += kLineGap + small.height();
    return QSize(1, h);
}

void ConversationRowDelegate::paint(QPainter* painter, const QStyleOptionViewItem& option,
                                    const QModelIndex& index) const {
    QStyleOptionViewItem opt = option;
    initStyleOption(&opt, index);
    opt.text.clear();
    opt.icon = QIcon();
    const QWidget* widget = option.widget;
    QStyle* style = widget ? widget->style() : QApplication::style();
    style->drawPrimitive(QStyle::PE_PanelItemViewItem, &opt, painter, widget);

    const QPalette& pal = option.palette;
    const bool selected = option.state & QStyle::State_Selected;
    const QString state = index.data(MyConversationsModel::StateRole).toString();
    const bool finished = state != QLatin1String("open");
    const int unread = index.data(MyConversationsModel::UnreadRole).toInt();
    const bool fresh = index.data(MyConversationsModel::FreshRole).toBool();
    const bool attention = unread > 0 || fresh;

    QColor text = selected ? pal.color(QPalette::HighlightedText) : pal.color(QPalette::Text);
    QColor muted = selected ? theme::mix(text, pal.color(QPalette::Highlight), 0.3) : theme::mutedText(pal);
    if (finished && !selected)
        text = muted;

    painter->save();
    painter->setRenderHint(QPainter::Antialiasing);
    QRect r = option.rect.adjusted(kRowPadX, kRowPadY, -kRowPadX, -kRowPadY);

    // The badge: the unread count, "new", or what became of a finished chat.
    QString badge;
    if (unread > 0)
        badge = QString::number(unread);
    else if (fresh)
        badge = QStringLiteral("new");
    else if (state == QLatin1String("closed"))
        badge = QStringLiteral("closed");
    else if (state == QLatin1String("elsewhere"))
        badge = QStringLiteral("not yours");
    const QFont small = smallFont(option);
    const QFontMetrics sm(small);
    const QFont tf = titleFont(option, attention);
    const QFontMetrics tm(tf);
    int badgeWidth = 0;
    if (!badge.isEmpty()) {
        badgeWidth = sm.horizontalAdvance(badge) + 12;
        const QRect b(r.right() - badgeWidth + 1, r.top() + (tm.height() - sm.height() - 2) / 2, badgeWidth,
                      sm.height() + 2);
        painter->setFont(small);
        if (attention) {
            const QColor fill =
                selected ? pal.color(QPalette::HighlightedText) : pal.color(QPalette::Highlight);
            painter->setPen(Qt::NoPen);
            painter->setBrush(fill);
            painter->drawRoundedRect(b, b.height() / 2.0, b.height() / 2.0);
            painter->setPen(selected ? pal.color(QPalette::Highlight) : pal.color(QPalette::HighlightedText));
        } else {
            painter->setPen(muted);
        }
        painter->drawText(b, Qt::AlignCenter, badge);
    }

    painter->setFont(tf);
    painter->setPen(text);
    const QRect titleRect(r.left(), r.top(), r.width() - badgeWidth - (badgeWidth ? 6 : 0), tm.height());
    painter->drawText(titleRect, Qt::AlignLeft | Qt::AlignVCenter,
                      tm.elidedText(index.data(MyConversationsModel::TitleRole).toString(), Qt::ElideRight,
                                    titleRect.width()));

    const QFontMetrics fm(option.font);
    int y = titleRect.bottom() + 1 + kLineGap;
    QString preview = index.data(MyConversationsModel::PreviewRole).toString().simplified();
    if (preview.isEmpty())
        preview = QStringLiteral("No messages yet");
    painter->setFont(option.font);
    painter->setPen(attention ? text : muted);
    painter->drawText(QRect(r.left(), y, r.width(), fm.height()), Qt::AlignLeft | Qt::AlignVCenter,
                      fm.elidedText(preview, Qt::ElideRight, r.width()));
    y += fm.height() + kLineGap;

    const QString page = index.data(MyConversationsModel::PageRole).toString();
    if (!page.isEmpty()) {
        painter->setFont(small);
        painter->setPen(muted);
        painter->drawText(QRect(r.left(), y, r.width(), sm.height()), Qt::AlignLeft | Qt::AlignVCenter,
                          sm.elidedText(QStringLiteral("on ") + page, Qt::ElideRight, r.width()));
    }
    painter->restore();
}

RoleProxy::RoleProxy(Styler styler, QObject* parent)
    : QIdentityProxyModel(parent)
    , m_styler(std::move(styler)) {}

QVariant RoleProxy::data(const QModelIndex& index, int role) const {
    if (!index.isValid())
        return {};
    const QModelIndex source = mapToSource(index);
    QVariant v = m_styler(source, role);
    return v.isValid() ? v : QIdentityProxyModel::data(index, role);
}

RoleProxy* makeMyConversationsProxy(QObject* parent) {
    return new RoleProxy(
        [](const QModelIndex& src, int role) -> QVariant {
            const bool attention = src.data(MyConversationsModel::AttentionRole).toInt() > 0;
            const bool finished =
                src.data(MyConversationsModel::StateRole).toString() != QLatin1String("open");
            switch (role) {
            case Qt::FontRole:
                if (attention) {
                    QFont f;
                    f.setBold(true);
                    return f;
                }
                return {};
            case Qt::ForegroundRole:
                if (finished)
                    return QGuiApplication::palette().color(QPalette::Disabled, QPalette::Text);
                return {};
            case Qt::DecorationRole:
                if (attention)
                    return unreadIcon();
                return presenceIcon(!finished);
            }
            return {};
        },
        parent);
}

RoleProxy* makeTeamProxy(QObject* parent) {
    return new RoleProxy(
        [](const QModelIndex& src, int role) -> QVariant {
            if (role == Qt::DecorationRole && src.column() == TeamModel::NameColumn)
                return presenceIcon(src.data(AgentListModel::PresenceRole).toString() ==
                                    QLatin1String("online"));
            if (role == Qt::ForegroundRole && src.column() == TeamModel::PresenceColumn &&
                src.data(AgentListModel::PresenceRole).toString() == QLatin1String("online"))
                return theme::toneText(QGuiApplication::palette(), theme::Tone::Success);
            return {};
        },
        parent);
}

} // namespace parley::console::gui
