package io.iommulab.api.dto;

import java.util.List;

/**
 * @param id            group id
 * @param devices       DT paths of the member devices
 * @param defaultDomain id of the default domain
 * @param domain        id of the domain the group is attached to now
 * @param domainType    type of that domain
 */
public record GroupDTO(int id, List<String> devices, Integer defaultDomain, Integer domain, String domainType) {
}
