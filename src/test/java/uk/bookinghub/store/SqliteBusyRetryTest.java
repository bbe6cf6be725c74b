package uk.bookinghub.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * SQLite in WAL mode: a transaction that read, then finds another connection committed a write,
 * gets SQLITE_BUSY at its own write (its snapshot is stale). Nothing was committed, so
 * {@link Database#inTransaction} runs it again on a fresh snapshot instead of failing the request.
 */
class SqliteBusyRetryTest {

    @Test
    void aReadThenWriteTransactionOvertakenByAnotherWriterRunsAgain(@TempDir Path dir) throws Exception {
        try (Database db = Database.open(DatabaseUrl.parse("jdbc:sqlite:" + dir.resolve("busy.db"), null), 4, 2000)) {
            db.inTransaction("setup", c -> {
                try (Statement s = c.createStatement()) {
                    s.execute("create table counter (id integer primary key, v integer not null)");
                    s.execute("insert into counter values (1, 0)");
                }
                return null;
            });
            AtomicInteger runs = new AtomicInteger();
            CountDownLatch firstRead = new CountDownLatch(1);
            CountDownLatch otherCommitted = new CountDownLatch(1);
            AtomicReference<Throwable> otherFailed = new AtomicReference<>();
            Thread other = new Thread(() -> {
                try {
                    firstRead.await(5, TimeUnit.SECONDS);
                    db.inTransaction("the other writer", c -> {
                        try (Statement s = c.createStatement()) {
                            s.executeUpdate("update counter set v = v + 100 where id = 1");
                        }
                        return null;
                    });
                } catch (Throwable e) {
                    otherFailed.set(e);
                } finally {
                    otherCommitted.countDown();
                }
            });
            other.start();
            db.inTransaction("read, then write", c -> {
                int run = runs.incrementAndGet();
                try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select v from counter where id = 1")) {
                    rs.next();
                }
                if (run == 1) {
                    firstRead.countDown();
                    try {
                        otherCommitted.await(5, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                try (Statement s = c.createStatement()) {
                    s.executeUpdate("update counter set v = v + 1 where id = 1");
                }
                return null;
            });
            other.join(5000);
            assertThat(otherFailed.get()).isNull();
            assertThat(runs.get()).as("the first run hit SQLITE_BUSY and the work ran again").isGreaterThanOrEqualTo(2);
            int v = db.read("reading", c -> {
                try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select v from counter where id = 1")) {
                    rs.next();
                    return rs.getInt(1);
                }
            });
            assertThat(v).as("both writes, once each").isEqualTo(101);
        }
    }
}
