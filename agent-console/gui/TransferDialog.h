#pragma once
// Issue 19: hands the open conversation to another agent, or back to the queue, with an optional
// internal note. Offers the agents who are online and below their maximum of chats; the server
// decides (409 agent_unavailable when the agent went away meanwhile, said plainly in the dialog).

#include <QDialog>

class QDialogButtonBox;
class QLabel;
class QListWidget;
class QPlainTextEdit;

namespace parley::console {
class Session;
} // namespace parley::console

namespace parley::console::gui {

class TransferDialog : public QDialog {
    Q_OBJECT
public:
    TransferDialog(Session* session, const QString& conversationId, QWidget* parent = nullptr);

private:
    void fillAgents();
    void submit();

    Session* m_session;
    QString m_id;
    QListWidget* m_targets;
    QPlainTextEdit* m_note;
    QLabel* m_error;
    QDialogButtonBox* m_buttons;
    QString m_chosen; // the agent picked ("" : the queue), kept while the list is refilled
    bool m_filling = false;
};

} // namespace parley::console::gui
