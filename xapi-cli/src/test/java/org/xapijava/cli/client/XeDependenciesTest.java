package org.xapijava.cli.client;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The client starts fast because it loads only the JDK and the protocol codec. */
class XeDependenciesTest {
    /** A class name in a constant pool string: alone, or in a descriptor or signature after L. */
    private static final Pattern REF = Pattern.compile("(?:^|[L(;\\[)<])((?:org|com|net|io)/[A-Za-z0-9_/$]+)");

    @Test
    void theClientReferencesOnlyTheJdkAndTheProtocol() throws IOException {
        Path classes = Path.of("target/classes");
        List<String> bad = new ArrayList<>();
        for (String pkg : List.of("org/xapijava/cli/client", "org/xapijava/cli/protocol")) {
            try (Stream<Path> files = Files.list(classes.resolve(pkg))) {
                for (Path f : files.toList()) {
                    for (String text : utf8Constants(Files.readAllBytes(f))) {
                        Matcher m = REF.matcher(text);
                        while (m.find()) {
                            String ref = m.group(1);
                            if (!ref.startsWith("org/xapijava/cli/client/")
                                    && !ref.startsWith("org/xapijava/cli/protocol/")
                                    && !ref.equals("org/xapijava/cli/client")
                                    && !ref.equals("org/xapijava/cli/protocol")) {
                                bad.add(f.getFileName() + " -> " + ref);
                            }
                        }
                    }
                }
            }
        }
        assertEquals(List.of(), bad);
    }

    @Test
    void theCheckSeesAReference() {
        Matcher m = REF.matcher("(Lorg/xapijava/model/api/Foo;Ljava/net/Socket;)V");
        assertEquals(true, m.find());
        assertEquals("org/xapijava/model/api/Foo", m.group(1));
        assertEquals(false, m.find());
    }

    /** The strings of a class file's constant pool. */
    private static List<String> utf8Constants(byte[] b) throws IOException {
        java.io.DataInputStream in = new java.io.DataInputStream(new java.io.ByteArrayInputStream(b));
        in.readInt();
        in.readUnsignedShort();
        in.readUnsignedShort();
        int count = in.readUnsignedShort();
        List<String> out = new ArrayList<>();
        for (int i = 1; i < count; i++) {
            int tag = in.readUnsignedByte();
            switch (tag) {
                case 1 -> out.add(in.readUTF());
                case 3, 4 -> in.readInt();
                case 5, 6 -> {
                    in.readLong();
                    i++;
                }
                case 7, 8, 16, 19, 20 -> in.readUnsignedShort();
                case 9, 10, 11, 12, 17, 18 -> in.readInt();
                case 15 -> {
                    in.readUnsignedByte();
                    in.readUnsignedShort();
                }
                default -> throw new IOException("constant pool tag " + tag);
            }
        }
        return out;
    }

    @Test
    void theTrainingRunOfTheLauncherWorks() throws IOException {
        assertEquals(0, Training.run());
    }
}
