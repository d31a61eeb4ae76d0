package org.xapijava.storage;

/**
 * An SR's totals, as a driver reports them to Xapi ({@code SR.set_physical_size},
 * {@code set_physical_utilisation}, {@code set_virtual_allocation}).
 *
 * @param physicalSize        bytes of the underlying storage
 * @param physicalUtilisation bytes of it in use
 * @param virtualAllocation   the sum of the virtual sizes of the SR's VDIs
 */
public record SrStat(long physicalSize, long physicalUtilisation, long virtualAllocation) {}
