package uk.bookinghub.events;

/** One daemon thread running {@link #loop} while {@link #running}; {@link #close} stops it (waits up to 2 s). */
abstract class BackgroundThread implements AutoCloseable {

    private final String name;
    volatile boolean running;
    private Thread thread;

    BackgroundThread(String name) {
        this.name = name;
    }

    /** Starts the thread once; false when it already runs. */
    final synchronized boolean startThread() {
        if (running) {
            return false;
        }
        running = true;
        thread = new Thread(this::loop, name);
        thread.setDaemon(true);
        thread.start();
        return true;
    }

    abstract void loop();

    /** Unblocks the loop before the thread is interrupted. */
    void beforeStop() {
    }

    @Override
    public final synchronized void close() {
        running = false;
        beforeStop();
        if (thread != null) {
            thread.interrupt();
            try {
                thread.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
