package android.app;

/** Stub of android.app.ForegroundServiceStartNotAllowedException (API 31). */
public final class ForegroundServiceStartNotAllowedException extends ServiceStartNotAllowedException {
    public ForegroundServiceStartNotAllowedException(String message) {
        super(message);
    }
}
