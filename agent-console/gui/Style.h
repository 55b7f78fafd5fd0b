#pragma once
// Looks shared by the widgets: the app icon, presence dots, and proxies that turn the core models'
// plain roles (unread, status, presence) into fonts, colours and decorations.

#include <QColor>
#include <QIcon>
#include <QIdentityProxyModel>
#include <QStyledItemDelegate>

#include <functional>

namespace parley::console::gui {

QIcon appIcon();
QIcon presenceIcon(bool online);
QIcon unreadIcon();

inline const QColor kCustomerBubble{0xee, 0xf1, 0xf5};
inline const QColor kBotBubble{0xf1, 0xec, 0xfb};
inline const QColor kAgentBubble{0xd9, 0xe8, 0xff};

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

// My conversations: bold with a dot when unread, grey when closed.
RoleProxy* makeMyConversationsProxy(QObject* parent);
// Team: a green or grey dot before the name.
RoleProxy* makeTeamProxy(QObject* parent);

} // namespace parley::console::gui
