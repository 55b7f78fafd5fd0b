// FaqModel with the server's admin FAQ list: display order, inactive entries, upsert and remove.
#include "ConsoleTestUtil.h"

#include "core/FaqModel.h"

#include <QAbstractItemModelTester>

using namespace parley::test;
using namespace parley::test::console;
using namespace parley::console;
namespace proto = parley::protocol;

class TestFaqModel : public QObject, private ServerFixture {
    Q_OBJECT
private:
    std::unique_ptr<ApiClient> m_api;

private slots:
    void initTestCase() {
        QVERIFY(startServerAsAdmin());
        m_api = apiClientFor(m_server, m_adminToken);
    }
    void init() {}
    void cleanup() {}

    void listsEveryEntryInDisplayOrder() {
        auto hidden = await<proto::FaqEntry>([&](auto cb) {
            m_api->createFaq({"zz-hidden", "Hidden?", "Yes.", -5, false, ""}, cb);
        });
        QVERIFY(hidden && hidden->ok());
        auto all = await<std::vector<proto::FaqEntry>>([&](auto cb) { m_api->adminFaq(cb); });
        QVERIFY(all && all->ok());

        FaqModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setEntries(all->value);
        QCOMPARE(model.rowCount(), int(all->value.size()));
        QCOMPARE(model.columnCount(), int(FaqModel::ColumnCount));
        // display_order -5 sorts first, and inactive entries are listed.
        QCOMPARE(model.index(0, FaqModel::SlugColumn).data().toString(), QStringLiteral("zz-hidden"));
        QCOMPARE(model.index(0, FaqModel::ActiveColumn).data().toString(), QStringLiteral("inactive"));
        QCOMPARE(model.index(0, 0).data(FaqModel::ActiveRole).toBool(), false);
        QCOMPARE(model.index(0, 0).data(FaqModel::AnswerRole).toString(), QStringLiteral("Yes."));
        for (int row = 1; row < model.rowCount(); ++row)
            QVERIFY(model.at(row - 1).displayOrder <= model.at(row).displayOrder);

        const int next = model.nextDisplayOrder();
        proto::FaqEntry added{"returns-abroad", "Returns from abroad?", "Within 30 days.", next, true, ""};
        model.upsert(added);
        QCOMPARE(model.at(model.rowCount() - 1).slug, std::string("returns-abroad"));
        added.displayOrder = -10; // moved to the top
        model.upsert(added);
        QCOMPARE(model.rowOf(QStringLiteral("returns-abroad")), 0);
        QCOMPARE(model.rowCount(), int(all->value.size()) + 1);
        model.remove(QStringLiteral("returns-abroad"));
        QCOMPARE(model.rowOf(QStringLiteral("returns-abroad")), -1);
    }
};

QTEST_GUILESS_MAIN(TestFaqModel)
#include "tst_console_faqmodel.moc"
