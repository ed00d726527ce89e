package fmtcstub;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Test-only journal: every stubbed Android call appends one line; the Python test reads them back. */
public final class Calls {
    private static final List<String> LINES = new ArrayList<>();
    private static final Set<String> GRANTED = new HashSet<>();

    static {
        String granted = System.getProperty("stub.granted", "");
        for (String permission : granted.split(",")) {
            if (!permission.isEmpty()) {
                GRANTED.add(permission);
            }
        }
    }

    private Calls() {}

    public static synchronized void record(String line) {
        LINES.add(line);
    }

    public static synchronized String[] all() {
        return LINES.toArray(new String[0]);
    }

    public static synchronized void clear() {
        LINES.clear();
    }

    public static synchronized boolean isGranted(String permission) {
        return GRANTED.contains(permission);
    }

    public static synchronized void grant(String permission) {
        GRANTED.add(permission);
    }
}
