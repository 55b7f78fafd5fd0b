#pragma once
// Looks shared by the widgets: the app icon, presence dots, colours derived from the palette in use
// (so that a light and a dark desktop both read well, and a theme change at run time is followed),
// a tinted notice bar, the row delegate of my conversations, and proxies that turn the core
// models' plain roles (unread, status, presence) into fonts, colours and decorations.

#include <parley/protocol/Types.h>

#include <QColor>
#include <QFrame>
#include <QIcon>
#include <QIdentityProxyModel>
#include <QStyledItemDelegate>

#include <functional>

class QLabel;
class QHBoxLayout;

namespace parley::console::gui {

QIcon appIcon();
QIcon presenceIcon(bool online);
QIcon unreadIcon();

// Colours computed from a palette, never fixed: each answers for light and dark palettes alike.
namespace theme {
enum class Tone { Info, Accent, Warning, Error, Success };
bool isDark(const QPalette& p);
// a blended toward b by `amount` (0: a, 1: b).
QColor mix(const QColor& a, const QColor& b, qreal amount);
QColor mutedText(const QPalette& p);
// Text in a tone that keeps its contrast on the palette's base and window colours.
QColor toneText(const QPalette& p, Tone tone);
// A light tint of the tone over the window colour, for bars and banners.
QColor toneBackground(const QPalette& p, Tone tone);
QColor bubble(const QPalette& p, protocol::SenderType sender);
QColor pendingBubble(const QPalette& p);
} // namespace theme

// Calls `apply` now and whenever the widget's palette changes (a desktop theme switch).
void followPalette(QWidget* widget, std::function<void()> apply);
// A label's text in a tone, kept right across palette changes.
void setToneText(QLabel* label, theme::Tone tone);

// A tinted bar with a message and room for buttons: the connection banner, the notification
// banner, the read-only note of a watched chat. It paints its tint from the current palette.
class NoticeBar : public QFrame {
    Q_OBJECT
public:
    explicit NoticeBar(theme::Tone tone, QWidget* parent = nullptr);
    void setText(const QString& text);
    QString text() const;
    QLabel* label() const { return m_label; }
    void setTone(theme::Tone tone);
    // Buttons and such, after the text.
    void addWidget(QWidget* widget);

protected:
    void paintEvent(QPaintEvent* event) override;

private:
    theme::Tone m_tone;
    QLabel* m_label;
    QHBoxLayout* m_layout;
};

// Answers chosen roles itself and forwards the rest to the source model.
class RoleProxy : public QIdentityProxyModel {
    Q_OBJECT
public:
    using Styler = std::function<QVariant(const QModelIndex& source, int role)>;
    RoleProxy(Styler styler, QObject* parent);
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;

private:
    Styler m_styler;
};

// For list views whose rows must fit the view's width: a row asks for no width of its own, so the
// list lays it out as wide as the viewport and a long line ends in an ellipsis instead of running
// off under a horizontal scroll bar.
class FitWidthDelegate : public QStyledItemDelegate {
    Q_OBJECT
public:
    using QStyledItemDelegate::QStyledItemDelegate;
    QSize sizeHint(const QStyleOptionViewItem& option, const QModelIndex& index) const override;
};

// A row of my conversations: the shopper (bold while something is unread), a badge with the
// unread count or "new", the last message, and the page the shopper is on. Finished rows grey.
class ConversationRowDelegate : public QStyledItemDelegate {
    Q_OBJECT
public:
    using QStyledItemDelegate::QStyledItemDelegate;
    QSize sizeHint(const QStyleOptionViewItem& option, const QModelIndex& index) const override;
    void paint(QPainter* painter, const QStyleOptionViewItem& option,
               const QModelIndex& index) const override;
};

// My conversations: bold when unread or new, grey when finished.
RoleProxy* makeMyConversationsProxy(QObject* parent);
// Team: a green or grey dot before the name.
RoleProxy* makeTeamProxy(QObject* parent);

} // namespace parley::console::gui
