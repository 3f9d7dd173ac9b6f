package io.iommulab.core.impl;

import io.iommulab.api.dto.FaultDTO;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/** Bounded history of reported faults, oldest first; its own small lock, never the engine's. */
final class FaultLog {

    private final int capacity;
    private final ArrayDeque<FaultDTO> entries;

    FaultLog(int capacity) {
        this.capacity = capacity;
        this.entries = new ArrayDeque<>(capacity);
    }

    synchronized void add(FaultDTO f) {
        if (entries.size() == capacity) {
            entries.removeFirst();
        }
        entries.addLast(f);
    }

    synchronized List<FaultDTO> snapshot() {
        return new ArrayList<>(entries);
    }

    synchronized void clear() {
        entries.clear();
    }
}
