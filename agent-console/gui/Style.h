#pragma once
// Looks shared by the widgets: the app icon, presence dots, and proxies that turn the core models'
// plain roles (unread, status, presence) into fonts, colours and decorations.

#include <QColor>
#include <QIcon>
#include <QIdentityProxyModel>

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

// My conversations: bold with a dot when unread, grey when closed.
RoleProxy* makeMyConversationsProxy(QObject* parent);
// Team: a green or grey dot before the name.
RoleProxy* makeTeamProxy(QObject* parent);

} // namespace parley::console::gui
