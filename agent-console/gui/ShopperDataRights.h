#pragma once
// The shopper panel's data-rights section (issue 22, admins only): "Export data" saves everything
// stored about the conversation's shopper (its customer session) as JSON; "Erase data" asks first,
// naming the shopper as the panel does, then erases it on the server and reloads the shopper's
// conversations, so that the transcript and the panel show what is left (messages with empty
// content, marked erased; no contact, no page).

#include <QPointer>
#include <QWidget>

class QLabel;
class QMessageBox;
class QPushButton;

namespace parley::console {
class Session;
} // namespace parley::console

namespace parley::console::gui {

class ShopperDataRights : public QWidget {
    Q_OBJECT
public:
    explicit ShopperDataRights(Session* session, QWidget* parent = nullptr);

    void setConversation(const QString& conversationId);
    void exportData();
    // Opens the confirmation (objectName "confirmEraseBox"); erases when it is accepted.
    void requestErase();
    QMessageBox* confirmation() const;
    QString statusText() const;

signals:
    void exported(const QString& path);
    void erased(const QString& customerSessionId);

private:
    void refresh();
    void erase(const QString& customerSessionId);
    void setStatus(const QString& text, bool error);
    bool isErased() const; // the loaded history says so

    Session* m_session;
    QString m_id;
    QPushButton* m_export;
    QPushButton* m_erase;
    QLabel* m_erasedNote;
    QLabel* m_status;
    bool m_statusError = false;
    QPointer<QMessageBox> m_confirm;
    QList<QMetaObject::Connection> m_modelConnections;
};

} // namespace parley::console::gui
