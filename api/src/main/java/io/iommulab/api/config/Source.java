package io.iommulab.api.config;

/** Where the value of a setting comes from, weakest first. */
public enum Source {
    /** nothing set it: the component's default (the metatype default) */
    DEFAULT("default"),
    /** the framework (or system) property {@code PID.KEY}, e.g. {@code -Diommulab.iommu.strict=false} */
    PROPERTY("property"),
    /** the component's Config Admin configuration: a file in the deploy folder, {@code iommu:config} */
    CONFIGURATION("configuration");

    private final String text;

    Source(String text) {
        this.text = text;
    }

    /** @return the name listings and JSON use: {@code default}, {@code property}, {@code configuration} */
    public String text() {
        return text;
    }
}
