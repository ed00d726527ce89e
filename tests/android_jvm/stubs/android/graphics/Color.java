package android.graphics;

/** Stub of android.graphics.Color (value as on Android). */
public class Color {
    public static final int BLUE = -16776961;
}
