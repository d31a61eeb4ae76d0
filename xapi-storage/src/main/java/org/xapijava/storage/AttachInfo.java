package org.xapijava.storage;

import java.nio.file.Path;

/**
 * Where an attached VDI's data can be read (and written, for a read-write attach): SMAPIv2's
 * {@code backend} of {@code VDI.attach3}, reduced to the two implementations local drivers give, a regular file
 * or a block device. Immutable.
 *
 * @param path      the file or device
 * @param readWrite whether the attach allows writes
 */
public record AttachInfo(Path path, boolean readWrite) {}
