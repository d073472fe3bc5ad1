// Java's HTTPS client as a user calls it, for the conformance suite.
//
//   java -Djavax.net.ssl.trustStore=TS.p12 -Djdk.net.hosts.file=HOSTS JavaClient.java HOST PORT
//
// HttpsURLConnection with the default SSLSocketFactory, whose trust comes from the truststore the
// runner built from the CA file with keytool; HOST resolves through the hosts file (it stands in
// for DNS). Prints one JSON object: accepted, causes (each "class: message", outermost first).
import java.io.InputStream;
import java.net.URL;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.HttpsURLConnection;

public class JavaClient {
    static String quote(String s) {
        if (s == null) return "null";
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.append('"').toString();
    }

    public static void main(String[] args) {
        String host = args[0].contains(":") ? "[" + args[0] + "]" : args[0];
        try {
            HttpsURLConnection c = (HttpsURLConnection) new URL("https://" + host + ":" + args[1] + "/").openConnection();
            c.setConnectTimeout(10000);
            c.setReadTimeout(10000);
            try (InputStream in = c.getInputStream()) { in.readAllBytes(); }
            System.out.println("{\"accepted\": true, \"causes\": []}");
        } catch (Throwable t) {
            List<String> causes = new ArrayList<>();
            for (Throwable e = t; e != null && causes.size() < 20; e = e.getCause()) {
                causes.add(quote(e.getClass().getName()) + ", " + quote(e.getMessage()));
            }
            StringBuilder out = new StringBuilder("{\"accepted\": false, \"causes\": [");
            for (int i = 0; i < causes.size(); i++) out.append(i == 0 ? "" : ", ").append("[").append(causes.get(i)).append("]");
            System.out.println(out.append("]}"));
        }
    }
}
