#include "gui/ConfirmBox.h"

#include <QPushButton>

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

} // namespace parley::console::gui
