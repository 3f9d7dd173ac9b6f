package io.iommulab.api.machine;

import org.osgi.annotation.versioning.ProviderType;

/**
 * An interrupt line as software sees it (the result of platform_get_irq). Several devices may
 * share one line; each handler answers whether the interrupt was its own.
 */
@ProviderType
public interface IrqLine {

    /** @return the line number at its controller (e.g. AIC 781) */
    int number();

    /** @return a readable name such as {@code "aic:781"} */
    String name();

    /**
     * request_irq. Every handler on a shared line must ask for {@code shared}.
     *
     * @throws io.iommulab.api.error.IommuException EBUSY if the line is taken by a non-shared handler
     *         or this request is not shared and the line has a handler
     */
    IrqRegistration request(String devName, IrqHandler handler, boolean shared);

    /** @return times the line was raised and no handler answered HANDLED (Linux's "nobody cared") */
    long unhandledCount();

    /** @return times the line was raised */
    long raisedCount();
}
