/**
 * Starts Hawtio 3.0.0 on http://localhost:8090/hawtio (or the port given), bound to loopback. The
 * embedded launcher of hawtio-embedded 3.0.0 ignores its command-line options, hence this file.
 * Run from ops/hawtio after `mvn -q dependency:copy-dependencies -DoutputDirectory=target/lib`:
 * java -Dhawtio.authenticationEnabled=false -cp 'target/lib/*' Hawtio.java
 */
public class Hawtio {
    public static void main(String[] args) throws Exception {
        io.hawt.embedded.Main hawtio = new io.hawt.embedded.Main();
        hawtio.setWar("target/lib/hawtio-default-3.0.0.war");
        hawtio.setHost("127.0.0.1");
        hawtio.setPort(args.length > 0 ? Integer.parseInt(args[0]) : 8090);
        hawtio.run(true);
    }
}
