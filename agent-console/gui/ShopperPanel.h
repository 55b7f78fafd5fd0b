#pragma once
// The side panel of a conversation: who the shopper is and where it is in the shop (contact and
// page context, when the conversation carries them), and the conversation's own facts with its id
// to copy. Sections for what comes later (past chats, notes) are added below these.

#include <parley/protocol/Types.h>

#include <QWidget>

#include <optional>

class QFormLayout;
class QLabel;
class QPushButton;
class QVBoxLayout;

namespace parley::console {
class Session;
} // namespace parley::console

namespace parley::console::gui {

class ShopperDataRights;

class ShopperPanel : public QWidget {
    Q_OBJECT
public:
    explicit ShopperPanel(Session* session, QWidget* parent = nullptr);

    void setConversation(const QString& conversationId);
    void refresh();
    // Where later sections go (past chats, notes): below the facts, above the stretch.
    QVBoxLayout* sections() const { return m_sections; }

private:
    Session* m_session;
    QString m_id;
    QLabel* m_name;
    QLabel* m_contact;
    QLabel* m_rating = nullptr; // issue 19/21: the shopper's rating of the chat, when given
    QLabel* m_code;
    QLabel* m_page;
    QLabel* m_referrer;
    QLabel* m_locale;
    QLabel* m_browser;
    QLabel* m_status;
    QLabel* m_started;
    QLabel* m_conversationId;
    QPushButton* m_copyId;
    QVBoxLayout* m_sections;
    ShopperDataRights* m_dataRights; // issue 22: export and erase (admins)
};

} // namespace parley::console::gui
