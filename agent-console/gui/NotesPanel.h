#pragma once
// Issue 19: the internal notes of the conversation in front, in the shopper panel. Each note is a
// yellow-ish card headed "Internal note" (agents only, never sent to the shopper), with a field to
// add one. Notes can be written on any conversation, watched and closed ones included.

#include <QWidget>

class QLabel;
class QLineEdit;
class QPushButton;
class QTextBrowser;

namespace parley::console {
class NotesModel;
class Session;
} // namespace parley::console

namespace parley::console::gui {

class NotesPanel : public QWidget {
    Q_OBJECT
public:
    explicit NotesPanel(Session* session, QWidget* parent = nullptr);

    void setConversation(const QString& conversationId);
    NotesModel* model() const { return m_model; }
    QString notesText() const; // plain text of the notes shown, for tests

protected:
    void changeEvent(QEvent* event) override;

private:
    void render();
    void add();

    Session* m_session;
    NotesModel* m_model;
    QTextBrowser* m_view;
    QLineEdit* m_input;
    QPushButton* m_add;
    QLabel* m_error;
};

} // namespace parley::console::gui
