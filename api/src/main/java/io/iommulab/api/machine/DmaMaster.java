package io.iommulab.api.machine;

import io.iommulab.api.dt.DtNode;
import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/**
 * A bus master that moves data by DMA: every enabled DT node with {@code iommus}, and every PCI
 * function described in the DT that its host bridge's {@code iommu-map} reaches. Its transactions
 * go through the IOMMU hardware model named by the stream, then to physical memory; a translation
 * failure ends the request with that model's fault (and the model raises its interrupt).
 */
@ProviderType
public interface DmaMaster {

    /** @return the master's DT path */
    String name();

    DtNode node();

    /** @return the streams it issues transactions on, in DT order */
    List<StreamRef> streams();

    /** @return PCI requester id (bus << 8 | devfn), or -1 for a platform device */
    int requesterId();

    /** Reads {@code len} bytes at {@code iova} on stream {@code stream} (index into {@link #streams()}). */
    DmaResult read(int stream, long iova, int len);

    /** Writes {@code data} at {@code iova} on stream {@code stream}. */
    DmaResult write(int stream, long iova, byte[] data);
}
