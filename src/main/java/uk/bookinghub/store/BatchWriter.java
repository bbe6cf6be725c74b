package uk.bookinghub.store;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Group commit: many callers each hand in one write and wait; a few writer threads take whatever
 * is waiting (up to {@code maxBatch}), write it in one transaction and release every caller only
 * after the commit. A caller is therefore never acknowledged before its row is durable, but the
 * database sees one commit per batch instead of one per request.
 *
 * <p>If a batch fails for a reason other than availability, each of its items is retried alone,
 * so one poison item fails only its own caller.
 */
public final class BatchWriter<T> implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(BatchWriter.class);

    /** Writes a batch of items on a connection inside an open transaction. */
    @FunctionalInterface
    public interface BatchWork<T> {
        void write(Connection connection, List<T> items) throws SQLException;
    }

    private record Pending<T>(T item, CompletableFuture<Void> done) {
    }

    private final String name;
    private final Database database;
    private final BatchWork<T> work;
    private final Runnable afterCommit;
    private final int maxBatch;
    private final BlockingQueue<Pending<T>> queue = new LinkedBlockingQueue<>();
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean running = true;

    public BatchWriter(String name, Database database, int writers, int maxBatch, BatchWork<T> work) {
        this(name, database, writers, maxBatch, work, null);
    }

    /** The same, with {@code afterCommit} run on the writer thread after each batch's commit (never after a rollback). */
    public BatchWriter(String name, Database database, int writers, int maxBatch, BatchWork<T> work, Runnable afterCommit) {
        this.afterCommit = afterCommit;
        this.name = name;
        this.database = database;
        this.work = work;
        this.maxBatch = Math.max(1, maxBatch);
        int n = database.dialect() == Dialect.SQLITE ? 1 : Math.max(1, writers); // SQLite has one writer anyway
        for (int i = 0; i < n; i++) {
            Thread t = new Thread(this::loop, "hub-writer-" + name + "-" + i);
            t.setDaemon(true);
            t.start();
            threads.add(t);
        }
    }

    /** Queues the item and returns a future completed after its transaction commits. */
    public CompletableFuture<Void> submit(T item) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        if (!running) {
            done.completeExceptionally(new DatabaseUnavailableException(name + " writer is stopped", null));
            return done;
        }
        queue.add(new Pending<>(item, done));
        return done;
    }

    /** Queues the item and waits for its commit; 503-worthy failures surface as {@link DatabaseUnavailableException}. */
    public void write(T item, long timeoutMs) {
        await(submit(item), timeoutMs, name);
    }

    /** Waits for a {@link #submit}ted item's commit; 503-worthy failures surface as {@link DatabaseUnavailableException}. */
    public static void await(CompletableFuture<Void> done, long timeoutMs, String name) {
        try {
            done.get(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new DatabaseUnavailableException(name + ": no commit within " + timeoutMs + " ms", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DatabaseUnavailableException(name + ": interrupted while waiting for the commit", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            throw new StoreException(name + " failed", cause);
        }
    }

    private void loop() {
        List<Pending<T>> batch = new ArrayList<>(maxBatch);
        while (running || !queue.isEmpty()) {
            try {
                Pending<T> first = queue.poll(200, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, maxBatch - 1);
                writeBatch(batch);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                LOG.error("[DB HEALTH] {} writer: unexpected failure: {}", name, e.toString());
                batch.forEach(p -> p.done().completeExceptionally(e));
            } finally {
                batch.clear();
            }
        }
    }

    private void writeBatch(List<Pending<T>> batch) {
        try {
            commit(batch);
            batch.forEach(p -> p.done().complete(null));
        } catch (DatabaseUnavailableException e) {
            batch.forEach(p -> p.done().completeExceptionally(e));
        } catch (RuntimeException e) {
            if (batch.size() == 1) {
                batch.get(0).done().completeExceptionally(e);
                return;
            }
            for (Pending<T> p : batch) { // isolate the item that broke the batch
                try {
                    commit(List.of(p));
                    p.done().complete(null);
                } catch (RuntimeException single) {
                    p.done().completeExceptionally(single);
                }
            }
        }
    }

    private void commit(List<Pending<T>> batch) {
        List<T> items = new ArrayList<>(batch.size());
        batch.forEach(p -> items.add(p.item()));
        database.inTransaction(name, c -> {
            work.write(c, items);
            return null;
        });
        if (afterCommit != null) {
            try {
                afterCommit.run();
            } catch (RuntimeException e) {
                LOG.warn("{} writer: after-commit step failed: {}", name, e.toString());
            }
        }
    }

    /** Items waiting for a writer; a gauge for operations. */
    public int backlog() {
        return queue.size();
    }

    @Override
    public void close() {
        running = false;
        for (Thread t : threads) {
            try {
                t.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
