package io.iommulab.machine.power;

/**
 * The power condition of one consumer node: every domain it names plus every ancestor domain,
 * flattened once at boot so the per-access check is a loop over a small array of volatile flags.
 */
public final class PowerGate {

    /** A gate for nodes without {@code power-domains}: always powered. */
    public static final PowerGate ALWAYS_ON = new PowerGate(new PowerDomain[0]);

    private final PowerDomain[] domains;

    PowerGate(PowerDomain[] domains) {
        this.domains = domains;
    }

    /** @return the first domain (own ones first, then ancestors) that is off, or null if powered */
    public PowerDomain firstOff() {
        for (PowerDomain d : domains) {
            if (!d.isOn()) {
                return d;
            }
        }
        return null;
    }

    /** @return true if every domain is on */
    public boolean isPowered() {
        return firstOff() == null;
    }

    /** @return number of domains (with ancestors) the node depends on */
    public int size() {
        return domains.length;
    }
}
