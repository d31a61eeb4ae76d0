package org.xapijava.xenopsd.sim;

import java.util.Map;
import org.xapijava.xenopsd.internal.Rpc;

/**
 * What the simulated guest shows of itself beyond the upstream simulator's {@link Domain}: the domain's member
 * {@code guest} (ours; a reader of the original ignores it). Immutable.
 *
 * @param xsdataState   the nodes of the domain's xenstore directory under the prefixes xenopsd reports back
 *                      ({@link GuestXenstore}): relative path → value, {@code ""} for a directory; what
 *                      {@code Vm.state.xsdata_state} says
 * @param balloonFrom   the memory the guest had when its balloon target last changed, in bytes
 * @param balloonSince  when that was, in seconds since the epoch
 * @param balloonDriver whether the guest's balloon driver moves its memory toward the target (a guest running the
 *                      agent and its PV drivers does; one without stays where it was)
 * @param s3            whether the guest was asked to enter ACPI S3 ({@code VM.s3suspend}) and not yet woken
 *                      ({@code VM.s3resume}); xenopsd reports it nowhere, the state file keeps it
 */
record Guest(
        Map<String, String> xsdataState, long balloonFrom, double balloonSince, boolean balloonDriver, boolean s3) {

    Guest {
        xsdataState = Rpc.frozen(xsdataState);
    }

    /**
     * The guest of a domain just created for {@code xsdata}: xenopsd makes the {@code vm-data} directory and writes
     * the allowed keys; its memory is at {@code memory} already.
     */
    static Guest created(Map<String, String> xsdata, long memory, double now, boolean balloonDriver) {
        return new Guest(GuestXenstore.written(xsdata, true), memory, now, balloonDriver, false);
    }

    Guest withXsdataState(Map<String, String> s) {
        return new Guest(s, balloonFrom, balloonSince, balloonDriver, s3);
    }

    /** The balloon starts again from {@code from} at {@code now}, moving or not. */
    Guest withBalloon(long from, double now, boolean driver) {
        return new Guest(xsdataState, from, now, driver, s3);
    }

    Guest withS3(boolean s) {
        return new Guest(xsdataState, balloonFrom, balloonSince, balloonDriver, s);
    }

    Object toRpc() {
        return Rpc.struct()
                .put("xsdata_state", Rpc.encodeStringMap(xsdataState))
                .put("balloon_from", balloonFrom)
                .put("balloon_since", balloonSince)
                .put("balloon_driver", balloonDriver)
                .put("s3", s3)
                .build();
    }

    static Guest fromRpc(Object v) {
        Rpc.Fields f = Rpc.fields(v, "guest");
        return new Guest(
                f.req("xsdata_state", Rpc::stringMap),
                f.req("balloon_from", Rpc::int64),
                f.req("balloon_since", Rpc::float64),
                f.def("balloon_driver", Rpc::bool, true),
                f.def("s3", Rpc::bool, false));
    }
}
