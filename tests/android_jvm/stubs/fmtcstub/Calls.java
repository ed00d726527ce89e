package fmtcstub;

import java.io.FileWriter;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Test-only journal: every simulated Android call appends one line. With -Dstub.journal=FILE each line is also
 * appended (and flushed) to FILE, so the journal survives a simulated process death (Runtime.halt).
 */
public final class Calls {
    private static final List<String> LINES = new ArrayList<>();
    private static final Set<String> GRANTED = new HashSet<>();

    static {
        for (String permission : System.getProperty("stub.granted", "").split(",")) {
            if (!permission.isEmpty()) {
                GRANTED.add(permission);
            }
        }
    }

    private Calls() {}

    public static synchronized void record(String line) {
        LINES.add(line);
        String journal = System.getProperty("stub.journal");
        if (journal != null) {
            try (FileWriter writer = new FileWriter(journal, true)) {
                writer.write(line.replace('\n', ' ') + "\n");
            } catch (IOException error) {
                throw new IllegalStateException("cannot write the journal " + journal, error);
            }
        }
    }

    public static synchronized String[] all() {
        return LINES.toArray(new String[0]);
    }

    public static synchronized boolean isGranted(String permission) {
        return GRANTED.contains(permission);
    }

    public static synchronized void grant(String permission) {
        GRANTED.add(permission);
    }

    public static synchronized void revoke(String permission) {
        GRANTED.remove(permission);
    }
}
