package android.app;

/** Stub of android.app.NotificationChannel. */
public class NotificationChannel {
    private final String id;
    private final String name;
    private final int importance;
    private String description;

    public NotificationChannel(String id, CharSequence name, int importance) {
        this.id = id;
        this.name = name.toString();
        this.importance = importance;
    }

    public void setDescription(String description) {
        this.description = description;
    }

    public void setLightColor(int argb) {}

    public void setLockscreenVisibility(int lockscreenVisibility) {}

    public String getId() {
        return id;
    }

    public int getImportance() {
        return importance;
    }

    @Override
    public String toString() {
        return "id=" + id + " name=" + name + " importance=" + importance + " description=" + description;
    }
}
