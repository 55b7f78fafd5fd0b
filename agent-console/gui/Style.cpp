#include "gui/Style.h"

#include "core/AgentListModel.h"
#include "core/MyConversationsModel.h"

#include <QFont>
#include <QGuiApplication>
#include <QPainter>
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

} // namespace

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
        p.setBrush(QColor(0x2f, 0x6f, 0xde));
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
    static const QIcon on = dot(QColor(0x2e, 0xb8, 0x5c), QColor(0x1e, 0x8a, 0x44));
    static const QIcon off = dot(QColor(0xc4, 0xc8, 0xcc), QColor(0x8f, 0x95, 0x9b));
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
            const int unread = src.data(MyConversationsModel::UnreadRole).toInt();
            const bool closed =
                src.data(MyConversationsModel::StatusRole).toString() == QLatin1String("closed");
            switch (role) {
            case Qt::FontRole:
                if (unread > 0) {
                    QFont f;
                    f.setBold(true);
                    return f;
                }
                return {};
            case Qt::ForegroundRole:
                if (closed)
                    return QGuiApplication::palette().color(QPalette::Disabled, QPalette::Text);
                return {};
            case Qt::DecorationRole:
                if (unread > 0)
                    return unreadIcon();
                return presenceIcon(!closed);
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
                return QColor(0x1e, 0x8a, 0x44);
            return {};
        },
        parent);
}

} // namespace parley::console::gui
