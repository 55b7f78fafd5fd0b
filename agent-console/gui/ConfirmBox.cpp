#include "gui/ConfirmBox.h"

#include <QPushButton>

#include <utility>

namespace parley::console::gui {

QMessageBox* askToConfirm(QWidget* parent, QMessageBox::Icon icon, const QString& name, const QString& title,
                          const QString& text, const QString& yesText,
                          std::function<void(bool yes)> answered) {
    auto* box = new QMessageBox(icon, title, text, QMessageBox::Yes | QMessageBox::Cancel, parent);
    box->setObjectName(name + QStringLiteral("Box"));
    box->button(QMessageBox::Yes)->setText(yesText);
    box->button(QMessageBox::Yes)->setObjectName(name + QStringLiteral("Yes"));
    box->button(QMessageBox::Cancel)->setObjectName(name + QStringLiteral("Cancel"));
    box->setDefaultButton(QMessageBox::Cancel);
    box->setAttribute(Qt::WA_DeleteOnClose);
    QObject::connect(box, &QMessageBox::finished, box, [box, answered = std::move(answered)](int) {
        answered(box->clickedButton() == box->button(QMessageBox::Yes));
    });
    box->open();
    return box;
}

void DiscardQuestion::discardEditsThen(bool dirty, std::function<void()> then) {
    if (dirty)
        ask(std::move(then));
    else
        then();
}

void DiscardQuestion::ask(std::function<void()> discard, std::function<void()> keep) {
    if (m_box || !m_editor)
        return; // already asking
    m_box = askToConfirm(m_editor, QMessageBox::Warning, QStringLiteral("confirmDiscard"),
                         QStringLiteral("Unsaved changes"), m_text, QStringLiteral("Discard"),
                         [editor = m_editor, discard = std::move(discard), keep = std::move(keep)](bool yes) {
                             if (!editor)
                                 return;
                             if (yes)
                                 discard();
                             else if (keep)
                                 keep();
                         });
}

} // namespace parley::console::gui
