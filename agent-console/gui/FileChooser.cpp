#include "gui/FileChooser.h"

#include <QDir>
#include <QFileDialog>
#include <QSaveFile>
#include <QStandardPaths>

namespace parley::console::gui {
namespace {

SaveFileChooser& chooser() {
    static SaveFileChooser c;
    return c;
}

} // namespace

void setSaveFileChooser(SaveFileChooser c) {
    chooser() = std::move(c);
}

QString chooseSaveFile(QWidget* parent, const QString& caption, const QString& suggestedName,
                       const QString& filter) {
    if (chooser())
        return chooser()(parent, caption, suggestedName, filter);
    const QString dir = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
    return QFileDialog::getSaveFileName(parent, caption, QDir(dir).filePath(suggestedName), filter);
}

bool writeFileAtomically(const QString& path, const QByteArray& bytes, QString* error) {
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size() || !file.commit()) {
        if (error)
            *error = file.errorString();
        return false;
    }
    return true;
}

} // namespace parley::console::gui
